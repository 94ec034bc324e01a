import { ClientClosedError, ClientOfflineError, SocketClosedUnexpectedlyError } from 'redis';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { describeDatabase } from './store/open-store.js';
import { skipWasmBaselineCompiler } from './store/pglite-database.js';

/** Entry point: the only file that exits the process. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`parley: bad configuration: ${problem}`);
    process.exit(2);
  }

  if (config.database.kind === 'pglite' || config.database.kind === 'memory') skipWasmBaselineCompiler();
  const app = await buildApp(config);
  const port = await app.listen();
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const ready =
    `Parley listening on http://${host}:${port} (Socket.IO ws://${host}:${port}) — store: ${describeDatabase(config.database)}; ` +
    (config.redisUrl ? 'cluster mode via Redis' : 'single node');
  app.log.info(ready);
  // A person at a terminal also gets it as plain text, not only inside a JSON log line.
  if (process.stdout.isTTY) console.log(`\n  ${ready}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    forced.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Last line of defence: a stray rejection (a dependency's background task, say) is logged, and
  // must not take down every other client's connection. The Redis adapter publishes some messages
  // (server-side events, fetchSockets requests) without catching a failure: those that a Redis cut
  // fails are expected, and what they carried is recovered (message changes from the database).
  process.on('unhandledRejection', (reason) => {
    if (isRedisConnectionError(reason))
      app.log.warn({ err: reason }, 'a Redis command failed while the connection was down');
    else app.log.error({ err: reason }, 'unhandled rejection');
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** node-redis's errors for a command that met a closed or lost connection. */
function isRedisConnectionError(reason: unknown): boolean {
  return (
    reason instanceof ClientClosedError ||
    reason instanceof SocketClosedUnexpectedlyError ||
    reason instanceof ClientOfflineError
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`parley: could not start: ${message}`);
  process.exit(1);
});
