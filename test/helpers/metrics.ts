/** The value of one sample line of a Prometheus text exposition, e.g. `parley_connected_sockets 3`; undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

/** How many times the server's `limit` refused something or cut a connection (parley_rate_limited_total). */
export async function timesLimited(server: { url: string }, limit: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return sample(text, 'parley_rate_limited_total', { limit }) ?? Number.NaN;
}
