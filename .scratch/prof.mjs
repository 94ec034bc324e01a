import fs from 'node:fs';
const p = JSON.parse(fs.readFileSync(process.argv[2]));
const dt = {}; const byId = new Map(p.nodes.map(n => [n.id, n]));
const self = new Map();
for (let i = 0; i < p.samples.length; i++) { const id = p.samples[i]; self.set(id, (self.get(id) || 0) + (p.timeDeltas[i] || 0)); }
const agg = {};
let total = 0;
for (const [id, t] of self) { const n = byId.get(id); const cf = n.callFrame; const k = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/work\/main\//, '')}:${cf.lineNumber}`; agg[k] = (agg[k] || 0) + t; total += t; }
const top = Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, +process.argv[3] || 40);
console.log('total ms', (total / 1000).toFixed(0));
for (const [k, t] of top) console.log((t / 1000).toFixed(1).padStart(8), k);
// by package
const pk = {};
for (const [id, t] of self) { const u = byId.get(id).callFrame.url; const m = u.match(/node_modules\/((@[^/]+\/)?[^/]+)/); const key = m ? m[1] : (u.includes('/work/main/') ? u.replace(/.*\/work\/main\//, '').split('/').slice(0,2).join('/') : (u || byId.get(id).callFrame.functionName)); pk[key] = (pk[key] || 0) + t; }
console.log('--- by package');
for (const [k, t] of Object.entries(pk).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((t / 1000).toFixed(1).padStart(8), k);
