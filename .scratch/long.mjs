import fs from 'node:fs';
const p = JSON.parse(fs.readFileSync(process.argv[2]));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
const name = id => { const cf = byId.get(id).callFrame; return `${cf.functionName || '(anon)'}@${cf.url.replace(/.*node_modules\//, '').replace(/.*\/work\/main\//, '')}:${cf.lineNumber}`; };
let t = p.startTime; const runs = []; let cur = null;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i]; const id = p.samples[i]; const nm = byId.get(id).callFrame.functionName;
  const idle = nm === '(idle)';
  if (!idle) { if (!cur) cur = { start: t, end: t, ids: [] }; cur.end = t; cur.ids.push(id); }
  else if (cur) { runs.push(cur); cur = null; }
}
runs.sort((a, b) => (b.end - b.start) - (a.end - a.start));
const hist = {}; for (const r of runs) { const d = (r.end - r.start) / 1000; const b = d < 5 ? '<5' : d < 10 ? '5-10' : d < 20 ? '10-20' : d < 50 ? '20-50' : d < 100 ? '50-100' : '100+'; hist[b] = (hist[b] || 0) + 1; }
console.log(hist);
for (const r of runs.slice(0, +process.argv[3] || 8)) {
  const frames = {};
  for (const id of r.ids) { let x = id; const seen = new Set(); while (x !== undefined) { const k = name(x); if (!seen.has(k)) { frames[k] = (frames[k] || 0) + 1; seen.add(k);} x = parent.get(x); } }
  const top = Object.entries(frames).filter(([k]) => !k.startsWith('(root)')).sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${(100 * v / r.ids.length).toFixed(0)}% ${k}`);
  console.log(`--- ${((r.end - r.start) / 1000).toFixed(1)} ms at ${((r.start - p.startTime) / 1e6).toFixed(2)} s`); console.log(top.join('\n'));
}
