import Fastify, { type FastifyBaseLogger } from 'fastify';
import { AuthService } from './auth/auth-service.js';
import { PasswordHasher } from './auth/passwords.js';
import { TokenService } from './auth/tokens.js';
import { ChatService } from './chat/chat-service.js';
import { GroupAdminService } from './chat/group-admin-service.js';
import type { Config } from './config.js';
import { registerAccountRoutes } from './http/account-routes.js';
import { adminGuard } from './http/admin-guard.js';
import { registerAdminWebhookRoutes } from './http/admin-webhook-routes.js';
import { registerPushRoutes } from './http/push-routes.js';
import { registerAuthRoutes } from './http/auth-routes.js';
import { bearerGuard } from './http/bearer-guard.js';
import { registerChatRoutes } from './http/chat-routes.js';
import { registerMessageMarkRoutes } from './http/message-mark-routes.js';
import { registerModerationRoutes } from './http/moderation-routes.js';
import { registerBotAdminRoutes } from './http/admin-routes.js';
import { BotAccounts } from './moderation/bot-accounts.js';
import { registerUserControlRoutes } from './http/user-control-routes.js';
import { BlockService } from './moderation/block-service.js';
import { ModerationService } from './moderation/moderation-service.js';
import { registerFileRoutes } from './http/file-routes.js';
import { FileService } from './files/file-service.js';
import { clientErrorHandler, frameworkErrors, installErrorHandling } from './http/error-handler.js';
import { registerHealthRoutes, type ReadinessCheck } from './http/health-routes.js';
import { registerUserRoutes } from './http/user-routes.js';
import { userAdmission } from './http/user-admission.js';
import { registerMetricsRoute } from './http/metrics-route.js';
import { registerApiDocs } from './http/api-docs.js';
import { serveWebClient } from './http/web-client.js';
import { allowOrigins } from './http/origin-guard.js';
import { sendSecurityHeaders } from './http/security-headers.js';
import { RateLimits } from './limits/rate-limits.js';
import { UserConcurrency } from './limits/user-concurrency.js';
import { Metrics } from './observability/metrics.js';
import { OutboxWorker } from './outbox/outbox-worker.js';
import { deliverWebhook } from './outbox/webhook-delivery.js';
import { WebhookService } from './outbox/webhook-service.js';
import { deliverPush } from './push/push-delivery.js';
import { PushService } from './push/push-service.js';
import { vapidKeys } from './push/vapid-keys.js';
import { joinCluster } from './realtime/cluster.js';
import { tuneEngine, type EngineTuning } from './realtime/engine-internals.js';
import { createGateway, MAX_PAYLOAD_BYTES } from './realtime/gateway.js';
import { withPresence } from './realtime/presence.js';
import { userRoom } from './realtime/rooms.js';
import type { ParleyServer } from './realtime/socket-types.js';
import { connectRedis } from './redis.js';
import { openDatabase } from './store/open-store.js';
import { Store } from './store/store.js';

export interface App {
  /** Starts listening; resolves with the bound port (useful with PORT=0). */
  listen(): Promise<number>;
  /** Stops accepting, closes sockets, then the cluster link and the database. Idempotent. */
  close(): Promise<void>;
  readonly io: ParleyServer;
  readonly store: Store;
  readonly tokens: TokenService;
  readonly log: FastifyBaseLogger;
  /** This node's sender of webhooks and pushes. */
  readonly outbox: OutboxWorker;
}

/** How long a closing node waits for running events before it closes their sockets anyway. */
const DRAIN_GRACE_MS = 5_000;

export interface BuildOptions {
  /**
   * The engine tuning to serve with; by default the installed libraries are probed here (tests
   * pass one probed with broken internals to run the fallbacks).
   */
  engineTuning?: EngineTuning;
  /**
   * A fresh PGlite cluster (freshCluster) that an in-memory database starts from instead of
   * running initdb: tests open hundreds. Never set by main.ts.
   */
  pgliteTemplate?: Blob;
}

/** The only place where the concrete pieces are built and wired together. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const fastify = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    bodyLimit: MAX_PAYLOAD_BYTES,
    frameworkErrors,
    clientErrorHandler,
    // While the node drains, Fastify would answer every request itself with a fixed 503 body that
    // is not the contract's envelope. Routes keep answering instead (each response still carries
    // `Connection: close`), and /ready reports 503 `draining` in the envelope.
    return503OnClosing: false,
    // Behind a load balancer the client's address (for the per-address login limit) comes from
    // X-Forwarded-For, believed only from the proxies TRUST_PROXY names.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
  });
  const log = fastify.log;

  const metrics = new Metrics();
  const db = metrics.instrumentDatabase(
    await openDatabase(config.database, { pgliteTemplate: options.pgliteTemplate }),
  );
  const store = new Store(db);
  const tokens = await TokenService.create(config, (message) => log.warn(message));
  const chats = new ChatService(store, config.maxMessageLength, (error) =>
    log.error({ err: error }, 'delivering a chat change failed'),
  );

  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : undefined;
  const limits = new RateLimits(config.limits, metrics, redis && { client: redis, prefix: config.redisPrefix });
  const auth = new AuthService(
    store,
    tokens,
    new PasswordHasher(config.passwords),
    limits,
    new Set(config.moderators.userIds),
  );
  const moderation = new ModerationService(store, chats);
  // One user's share of this node, taken by their sockets' events and HTTP requests alike.
  const concurrency = new UserConcurrency(
    config.limits.concurrentRequestsPerUser,
    config.limits.waitingRequestsPerUser,
    config.limits.concurrentReadsPerUser,
    metrics,
  );
  const tuning = options.engineTuning ?? (await tuneEngine((message, detail) => log.warn(detail, message)));
  const gateway = createGateway(fastify.server, {
    auth,
    chats,
    moderation,
    log,
    metrics,
    limits,
    concurrency,
    maxConnectionsPerUser: config.limits.connectionsPerUser,
    abuse: { maxRefusals: config.limits.abuseRefusals, cooldownMs: config.limits.abuseCooldownSeconds * 1000 },
    presenceMaxChatMembers: config.presenceMaxChatMembers,
    maxQueuedBytesPerConnection: config.limits.queuedBytesPerConnection,
    corsOrigins: config.corsOrigins,
    clustered: redis !== undefined,
    tuning,
  });
  const io = gateway.io;
  const checks: ReadinessCheck[] = [{ name: 'database', check: () => db.ping() }];
  const cluster = redis ? joinCluster(io, redis, config.redisPrefix) : undefined;
  if (cluster) checks.push({ name: 'redis', check: () => cluster.ping() });

  installErrorHandling(fastify);
  await sendSecurityHeaders(fastify, io.engine);
  allowOrigins(fastify, config.corsOrigins);
  const guard = bearerGuard(auth);
  const admit = userAdmission(limits, concurrency);
  registerAuthRoutes(fastify, auth, limits);
  registerUserRoutes(fastify, store, guard, admit);
  registerAccountRoutes(fastify, auth, chats, guard, admit);
  const groups = new GroupAdminService(store, chats);
  registerChatRoutes(fastify, chats, groups, guard, { withPresence: (list) => withPresence(io, list) }, admit);
  registerMessageMarkRoutes(fastify, chats, guard, admit);
  registerUserControlRoutes(fastify, new BlockService(store), moderation, guard, admit);
  registerModerationRoutes(fastify, moderation, guard, admit);
  registerBotAdminRoutes(fastify, new BotAccounts(store, chats.changes), adminGuard(config.adminToken));
  const files = new FileService(store, config.files);
  await registerFileRoutes(fastify, files, config.files, guard, admit, limits);
  const stopSweeping = files.startSweeping((error) => log.error({ err: error }, 'sweeping expired uploads failed'));
  const admin = adminGuard(config.adminToken);
  const { allowPrivateAddresses: allowPrivate, requestTimeoutMs: timeoutMs } = config.outbox;
  registerAdminWebhookRoutes(fastify, new WebhookService(store, allowPrivate), admin);
  const keys = await vapidKeys(config.push, db, (message) => log.warn(message));
  registerPushRoutes(fastify, new PushService(store, keys.publicKey, allowPrivate), guard, admit);
  // Webhooks and pushes written to the outbox by the changes' transactions, sent by every node.
  const outbox = new OutboxWorker(
    store,
    config.outbox,
    (delivery) =>
      delivery.kind === 'webhook'
        ? deliverWebhook(delivery, { timeoutMs, allowPrivate })
        : deliverPush(delivery, {
            keys,
            subject: config.push.vapidSubject,
            // Any socket of the user on any node (the adapter asks the others).
            isConnected: async (userId) => (await io.in(userRoom(userId)).fetchSockets()).length > 0,
            timeoutMs,
            allowPrivate,
          }),
    (error) => log.error({ err: error }, 'sending the outbox failed'),
  );
  outbox.start();
  registerHealthRoutes(fastify, checks, () => gateway.draining);
  registerMetricsRoute(fastify, metrics);
  // The browser client (web/, bundled by `npm run build`) at `/`; API routes and /socket.io are unaffected.
  serveWebClient(fastify);
  // API documentation: /docs (HTML), /docs/openapi.json, /docs/asyncapi.yaml.
  registerApiDocs(fastify);

  fastify.addHook('preClose', async () => {
    await gateway.drain(DRAIN_GRACE_MS);
  });
  fastify.addHook('onClose', async () => {
    stopSweeping();
    await outbox.stop();
    await cluster?.close();
    await db.close();
  });

  let closing: Promise<void> | undefined;
  return {
    async listen() {
      await fastify.listen({ port: config.port, host: config.host });
      const address = fastify.server.address();
      return typeof address === 'object' && address ? address.port : config.port;
    },
    close() {
      closing ??= fastify.close();
      return closing;
    },
    io,
    store,
    tokens,
    log,
    outbox,
  };
}
