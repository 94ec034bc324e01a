import fs from 'node:fs';
const p = JSON.parse(fs.readFileSync(process.argv[2])); const from = +process.argv[3], to = +process.argv[4], minMs = +process.argv[5] || 30;
const byId = new Map(p.nodes.map(n => [n.id, n])); const parent = new Map(); for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
const label = id => { // nearest meaningful frame: first frame in dist/ or a package name
  let x = id; const chain = [];
  while (x !== undefined) { const cf = byId.get(x).callFrame; const u = cf.url; 
    if (u.includes('/dist/') && u.includes('/work/main/dist')) return 'parley:' + u.replace(/.*\/dist\//, '') + ':' + cf.functionName;
    const m = u.match(/node_modules\/((@[^/]+\/)?[^/]+)/); if (m && !chain.length) chain.push(m[1] + ':' + cf.functionName);
    x = parent.get(x); }
  const cf = byId.get(id).callFrame; return chain[0] || (cf.functionName + ' ' + cf.url.split('/').pop());
};
let t = p.startTime; let cur = null; const runs = [];
for (let i = 0; i < p.samples.length; i++) { t += p.timeDeltas[i]; const s = (t - p.startTime) / 1e6; const id = p.samples[i]; const idle = byId.get(id).callFrame.functionName === '(idle)';
  if (s < from || s > to) continue;
  if (!idle) { if (!cur) cur = { s, e: s, ids: [] }; cur.e = s; cur.ids.push(id); } else if (cur) { runs.push(cur); cur = null; } }
const all = {}; let total = 0;
for (const r of runs) { const d = (r.e - r.s) * 1000; if (d < minMs) continue; total += r.ids.length;
  const agg = {}; for (const id of r.ids) { const k = label(id); agg[k] = (agg[k] || 0) + 1; all[k] = (all[k] || 0) + 1; }
  console.log(`--- ${d.toFixed(0)} ms at ${r.s.toFixed(2)}: ` + Object.entries(agg).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v}`).join(' | ')); }
console.log('=== all long stretches:'); for (const [k, v] of Object.entries(all).sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((100 * v / total).toFixed(1) + '%', k);
