import pg from 'pg';
import type { Database, SqlExecutor } from './database.js';

/** A PostgreSQL server through a `pg` connection pool. */
export async function openPostgresDatabase(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    // A server that stops answering without closing the connection must not hang an event (and a
    // drain) forever: the query fails, and the caller answers UNAVAILABLE.
    query_timeout: 15_000,
    statement_timeout: 10_000,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const executor = (target: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await target.query(text, params as unknown[]);
      return result.rows as Row[];
    },
    async script(text: string) {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await target.query(text);
    },
  });
  const pooled = executor(pool);
  const database: Database = {
    kind: 'postgres',
    ...pooled,
    read: <Row>(text: string, params?: readonly unknown[]) => pooled.query<Row>(text, params),
    async transaction(work) {
      const client = await pool.connect();
      let broken = false;
      // While checked out, a client has no 'error' listener of the pool's; when its connection
      // drops, pg emits 'error' besides failing the running query, and unheard that would be an
      // uncaught exception that takes the whole node down. The query's own rejection reports it.
      const onConnectionError = () => {
        broken = true;
      };
      client.on('error', onConnectionError);
      try {
        await client.query('BEGIN');
        const result = await work(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        // A connection that cannot even roll back is destroyed rather than reused.
        client.off('error', onConnectionError);
        client.release(broken);
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async ping() {
      await pool.query('SELECT 1');
    },
    close: () => pool.end(),
  };
  await database.ping();
  return database;
}
