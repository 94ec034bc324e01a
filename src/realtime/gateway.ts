import type { Server as HttpServer } from 'node:http';
import type { Socket as EngineSocket } from 'engine.io';
import type { FastifyBaseLogger } from 'fastify';
import { Server } from 'socket.io';
import type { AuthService } from '../auth/auth-service.js';
import type { ChatService } from '../chat/chat-service.js';
import type { ModerationService } from '../moderation/moderation-service.js';
import { AppError, ERRORS, toErrorEnvelope } from '../errors.js';
import { AbuseCooldown, CUT_OFF_TEXT } from '../limits/abuse-cooldown.js';
import { ORIGIN_REFUSED_TEXT, originAllowed } from '../limits/origins.js';
import type { RateLimits } from '../limits/rate-limits.js';
import type { UserConcurrency } from '../limits/user-concurrency.js';
import type { Metrics } from '../observability/metrics.js';
import { broadcastChatChanges } from './chat-broadcasts.js';
import { defineChatEvents } from './chat-events.js';
import { ClosedAccounts } from './closed-accounts.js';
import { ChatFeed } from './chat-feed.js';
import { defineChatFeatureEvents } from './chat-feature-events.js';
import { defineMessageMarkEvents } from './message-mark-events.js';
import { defineReportEvents } from './report-events.js';
import { limitConnectionsPerUser, TOO_MANY_CONNECTIONS_TEXT } from './connection-limit.js';
import { serveEvents } from './event-gate.js';
import { EventTable } from './event-table.js';
import { handshakeRefusal, isHandshakeRefusal } from './handshake-refusal.js';
import { InFlight } from './in-flight.js';
import type { EngineTuning } from './engine-internals.js';
import { limitPollingPayloads, MAX_PACKETS_PER_POLLING_REQUEST } from './polling-payloads.js';
import { trackPresence } from './presence.js';
import { capQueuedOutput } from './queued-output.js';
import { userRoom } from './rooms.js';
import type { ParleyServer, ParleySocket } from './socket-types.js';
import { coalesceWritesPerTurn } from './write-coalescing.js';

/** How long a draining node waits for the presence announcements of the sockets it closes. */
const PRESENCE_GRACE_MS = 2_000;

/** Transport limit from the contract: larger packets are refused before any parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export interface Gateway {
  io: ParleyServer;
  /** True from the moment drain() is called. */
  readonly draining: boolean;
  /**
   * Shuts the gateway down gracefully: refuses new connections, lets running events finish
   * (so every acknowledged message is committed) for at most `graceMs`, then closes every socket
   * so that clients reconnect to another node.
   */
  drain(graceMs: number): Promise<void>;
}

export function createGateway(
  httpServer: HttpServer,
  deps: {
    auth: AuthService;
    chats: ChatService;
    moderation: ModerationService;
    log: FastifyBaseLogger;
    metrics: Metrics;
    limits: RateLimits;
    /** Each user's share of this node, shared with their HTTP requests. */
    concurrency: UserConcurrency;
    /** Open sockets allowed per user on this node. */
    maxConnectionsPerUser: number;
    /** When a user who keeps sending past their limits is cut off, and for how long (abuse-cooldown.ts). */
    abuse: { maxRefusals: number; cooldownMs: number };
    /** Presence is announced to partners in chats of at most this many members (PRESENCE_MAX_CHAT_MEMBERS). */
    presenceMaxChatMembers: number;
    /** Bytes a connection may have queued and not yet sent before it is cut (queued-output.ts). */
    maxQueuedBytesPerConnection: number;
    /** CORS_ORIGINS; undefined allows every origin. */
    corsOrigins: string[] | undefined;
    /** Whether other nodes share this one's rooms through a cluster adapter (REDIS_URL). */
    clustered: boolean;
    /** What of Engine.IO's internals this server may use (engine-internals.ts). */
    tuning: EngineTuning;
  },
): Gateway {
  const inFlight = new InFlight();
  let draining = false;
  const io: ParleyServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_PAYLOAD_BYTES,
    // Engine.IO sends pre-encoded frames (large-answers.ts, Socket.IO's broadcasts) only without it.
    perMessageDeflate: false,
    // Notes each event's acknowledgement id, for answers sent as pre-encoded frames; when the
    // tuning is off, Socket.IO's own parser.
    ...(deps.tuning.parser ? { parser: deps.tuning.parser } : {}),
    // No connection-state recovery: it replays raw packets (deleted and edited text in its old
    // form) and adds an argument to every event. A reconnecting client syncs from the database.
    // Lets pages on the allowed origins use the long-polling transport (WebSocket needs no CORS).
    ...(deps.corsOrigins ? { cors: { origin: deps.corsOrigins } } : {}),
  });

  coalesceWritesPerTurn(io, deps.tuning);

  // Connections that take more than their share are cut: the metric counts them, the log says
  // which socket and user (found by a scan of the sockets, on this rare path only).
  const reportCut = (
    connection: EngineSocket,
    limit: 'output_queue' | 'polling_packets',
    message: string,
    detail: object,
  ) => {
    deps.metrics.limitRefused(limit);
    let socket: ParleySocket | undefined;
    for (const candidate of io.of('/').sockets.values()) if (candidate.conn === connection) socket = candidate;
    deps.log.warn(
      { socketId: socket?.id, userId: socket?.data.user?.id, address: connection.remoteAddress, ...detail },
      message,
    );
  };
  capQueuedOutput(io, deps.tuning, deps.maxQueuedBytesPerConnection, (connection, queuedBytes) =>
    reportCut(connection, 'output_queue', 'connection cut: its client does not read what is sent to it', {
      queuedBytes,
      maxQueuedBytes: deps.maxQueuedBytesPerConnection,
    }),
  );
  limitPollingPayloads(io, (connection) =>
    reportCut(connection, 'polling_packets', 'connection cut: a long-polling request carried too many packets', {
      maxPackets: MAX_PACKETS_PER_POLLING_REQUEST,
    }),
  );

  io.use((socket, next) => {
    // Before authentication: a page of another site must not even learn whether a token works.
    if (originAllowed(deps.corsOrigins, socket.handshake.headers.origin)) return next();
    next(handshakeRefusal(ORIGIN_REFUSED_TEXT, 'FORBIDDEN'));
  });

  const abuse = new AbuseCooldown(deps.abuse, (userId) => {
    deps.metrics.limitRefused('abuse_cooldown');
    deps.log.warn(
      { userId, maxRefusals: deps.abuse.maxRefusals, cooldownMs: deps.abuse.cooldownMs },
      'user cut off: their requests kept being refused',
    );
    for (const id of [...(io.of('/').adapter.rooms.get(userRoom(userId)) ?? [])]) {
      const socket = io.of('/').sockets.get(id);
      socket?.disconnect(true);
      // A long-polling connection is closed at once, not when its client next polls: one that
      // only posts (never polls) would otherwise keep its session until the ping timeout.
      if (socket?.conn.transport.name === 'polling') socket.conn.close(true);
    }
  });
  const connections = limitConnectionsPerUser(deps.maxConnectionsPerUser, deps.metrics);
  // Refuses a user before their account is read (auth-service.ts): a cut-off user, and one who has
  // every connection allowed open already (limitConnectionsPerUser checks again once admitted).
  const admitUser = (userId: string) => {
    const msLeft = abuse.msLeft(userId);
    if (msLeft > 0) {
      deps.metrics.limitRefused('abuse_cooldown');
      throw handshakeRefusal(CUT_OFF_TEXT, 'RATE_LIMITED', msLeft);
    }
    if (connections.full(userId)) {
      deps.metrics.limitRefused('connection');
      throw handshakeRefusal(TOO_MANY_CONNECTIONS_TEXT, 'RATE_LIMITED');
    }
  };
  io.use((socket, next) => {
    if (draining) return next(handshakeRefusal(ERRORS.UNAVAILABLE.text, 'UNAVAILABLE'));
    // The seed allows either place; an empty `auth.token` does not hide a header.
    const credential: unknown = socket.handshake.auth?.token || socket.handshake.headers.authorization;
    deps.auth.authenticate(credential, admitUser).then(
      ({ user, expiresAt }) => {
        socket.data.user = user;
        socket.data.expiresAt = expiresAt;
        next();
      },
      (error: unknown) => {
        if (isHandshakeRefusal(error)) return next(error);
        const envelope = toErrorEnvelope(error);
        next(handshakeRefusal(envelope.error, error instanceof AppError ? envelope.code : 'UNAVAILABLE'));
      },
    );
  });
  io.use(connections.middleware);
  deps.metrics.countSockets(() => io.of('/').sockets.size);

  const feed = new ChatFeed(io, deps.chats, deps.metrics, (error) =>
    deps.log.warn({ err: error }, 'filling missed chat changes failed'),
  );
  const closedAccounts = new ClosedAccounts(io);
  broadcastChatChanges(io, deps.chats, feed, closedAccounts, deps.clustered);
  const events = new EventTable();
  defineChatEvents(events, { io, chats: deps.chats, feed });
  defineChatFeatureEvents(events, { io, chats: deps.chats });
  defineMessageMarkEvents(events, { chats: deps.chats });
  defineReportEvents(events, { moderation: deps.moderation });

  io.on('connection', (socket) => {
    if (!closedAccounts.admit(socket)) return;
    const where = { socketId: socket.id, userId: socket.data.user.id };
    deps.log.debug(where, 'socket connected');
    disconnectAtExpiry(socket);
    // Joins the user's room (chat_created, presence, … reach every socket of the user through it).
    trackPresence(io, socket, (userId) => deps.chats.chatPartnerIds(userId, deps.presenceMaxChatMembers), inFlight);
    serveEvents(socket, events, {
      limits: deps.limits,
      concurrency: deps.concurrency,
      metrics: deps.metrics,
      log: deps.log,
      inFlight,
      tuning: deps.tuning,
      abuse,
    });
    socket.on('disconnect', (reason) => deps.log.debug({ ...where, reason }, 'socket disconnected'));
  });

  return {
    io,
    get draining() {
      return draining;
    },
    async drain(graceMs) {
      draining = true;
      await inFlight.settled(graceMs);
      feed.close();
      // Connections are closed while the cluster link is still open, and their presence announced
      // through it (io.close() closes the adapter first). Closing the transport, not disconnecting
      // the sockets, is what makes clients reconnect by themselves, to another node.
      for (const socket of io.of('/').sockets.values()) socket.conn.close();
      await inFlight.settled(PRESENCE_GRACE_MS);
      // Also closes the adapter, whose Redis reads would otherwise keep the process alive.
      await io.close();
    },
  };
}

/** A socket lives no longer than its token: at `exp` the server closes it. */
function disconnectAtExpiry(socket: ParleySocket): void {
  // setTimeout holds at most 2^31-1 ms (~24.8 days); longer tokens are checked again then.
  const arm = (): NodeJS.Timeout =>
    setTimeout(
      () => {
        if (Date.now() >= socket.data.expiresAt) socket.disconnect(true);
        else timer = arm();
      },
      Math.min(Math.max(socket.data.expiresAt - Date.now(), 0), 2 ** 31 - 1),
    );
  let timer = arm();
  socket.on('disconnect', () => clearTimeout(timer));
}
