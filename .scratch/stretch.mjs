import fs from 'node:fs';
const p = JSON.parse(fs.readFileSync(process.argv[2])); const from = +process.argv[3], to = +process.argv[4];
const byId = new Map(p.nodes.map(n => [n.id, n])); const parent = new Map(); for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
const name = id => { const cf = byId.get(id).callFrame; return `${cf.functionName || '(anon)'}@${cf.url.replace(/.*node_modules\//, '').replace(/.*\/work\/main\//, '')}:${cf.lineNumber}`; };
let t = p.startTime; const frames = {}; let n = 0;
for (let i = 0; i < p.samples.length; i++) { t += p.timeDeltas[i]; const s = (t - p.startTime) / 1e6; if (s < from || s > to) continue; const id = p.samples[i]; if (byId.get(id).callFrame.functionName === '(idle)') continue; n++;
  let x = id; const seen = new Set(); while (x !== undefined) { const k = name(x); if (!seen.has(k)) { frames[k] = (frames[k] || 0) + 1; seen.add(k); } x = parent.get(x); } }
console.log('samples', n);
console.log(Object.entries(frames).filter(([k]) => /dist\/|engine.io|socket.io|ws\//.test(k)).sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${(100 * v / n).toFixed(0)}% ${k}`).join('\n'));
