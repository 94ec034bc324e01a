import { describe, expect, it } from 'vitest';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';
import { api, registerUser, useServer } from '../helpers/server.js';

/** Issue 5 §5: database pool use in /metrics — on PostgreSQL, the one store with a pool. */
describe.each(storeTargets.map((t) => t.name))('GET /metrics database pool on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  it(
    target === 'postgres' ? 'reports the pool’s total, idle and waiting connections' : 'has no pool to report',
    async () => {
      await registerUser(server, 'pool');
      const { status, body } = await api(server, 'GET', '/metrics');
      expect(status).toBe(200);
      const gauge = (state: string) =>
        new RegExp(`^parley_db_pool_connections\\{state="${state}"\\} (\\d+)$`, 'm').exec(body)?.[1];
      if (target === 'postgres') {
        expect(Number(gauge('total'))).toBeGreaterThanOrEqual(1);
        expect(Number(gauge('idle'))).toBeLessThanOrEqual(Number(gauge('total')));
        expect(gauge('waiting')).toBe('0');
      } else {
        expect(body).not.toContain('parley_db_pool_connections');
      }
    },
  );
});
