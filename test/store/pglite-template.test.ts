import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { freshCluster, openPgliteDatabase } from '../../src/store/pglite-database.js';
import { pgliteTemplate } from '../helpers/pglite-template.js';

/** The in-memory databases the suites open from one fresh cluster (test/helpers/pglite-template.ts). */
describe('openPgliteDatabase from a template', () => {
  it('starts from a fresh cluster: no table of ours, and the migrations run on it', async () => {
    const db = await openPgliteDatabase(undefined, await freshCluster());
    try {
      const tables = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`,
      );
      expect(tables).toEqual([{ n: 0 }]);
      await migrate(db);
      expect(await db.query(`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('gives each database its own copy: what one writes the other does not see', async () => {
    const template = await pgliteTemplate();
    const [first, second] = await Promise.all([
      openPgliteDatabase(undefined, template),
      openPgliteDatabase(undefined, template),
    ]);
    try {
      await first.script('CREATE TABLE notes (text text); INSERT INTO notes VALUES ($$first$$)');
      await second.script('CREATE TABLE notes (text text)');
      expect(await first.query('SELECT text FROM notes')).toEqual([{ text: 'first' }]);
      expect(await second.query('SELECT text FROM notes')).toEqual([]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  }, 60_000);
});
