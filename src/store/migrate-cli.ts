import { ConfigError, loadConfig } from '../config.js';
import { migrate } from './migrate.js';
import { describeDatabase, openDatabase } from './open-store.js';

/** `npm run migrate`: brings the configured database's schema up to date, then exits. */
try {
  const config = loadConfig();
  const db = await openDatabase(config.database, { migrate: false });
  const applied = await migrate(db);
  await db.close();
  console.log(
    `${describeDatabase(config.database)}: ${applied.length ? `applied migrations ${applied.join(', ')}` : 'schema already up to date'}`,
  );
} catch (error) {
  const lines = error instanceof ConfigError ? error.problems.map((p) => `bad configuration: ${p}`) : [String(error)];
  for (const line of lines) console.error(`parley: ${line}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
