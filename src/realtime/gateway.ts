import type { Server as HttpServer } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { Server, type Socket } from 'socket.io';
import type { AuthService } from '../auth/auth-service.js';
import type { ChatService } from '../chat/chat-service.js';
import { AppError, ERRORS, toErrorEnvelope } from '../errors.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/events.js';
import type { PublicUser } from '../protocol/types.js';
import { ORIGIN_REFUSED_TEXT, originAllowed } from '../limits/origins.js';
import type { RateLimits } from '../limits/rate-limits.js';
import type { Metrics } from '../observability/metrics.js';
import { defineChatEvents } from './chat-events.js';
import { defineChatFeatureEvents } from './chat-feature-events.js';
import { limitConnectionsPerUser } from './connection-limit.js';
import { serveEvents } from './event-gate.js';
import { EventTable } from './event-table.js';
import { InFlight } from './in-flight.js';
import { answerIdParser } from './large-answers.js';
import { trackPresence } from './presence.js';
import { coalesceWritesPerTurn } from './write-coalescing.js';
import { BoundedSessionAdapter, recoverSessions, withUserBoundRecovery } from './recovery.js';

export interface SocketData {
  user: PublicUser;
  /** When the socket's token expires, in ms since the epoch. */
  expiresAt: number;
}

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Transport limit from the contract: larger packets are refused before any parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** The room that receives a chat's `new_message`. */
export const chatRoom = (chatId: string) => `${CHAT_ROOM_PREFIX}${chatId}`;
const CHAT_ROOM_PREFIX = 'chat:';
/** The chat whose room `room` is, if it is a chat room. */
export const chatIdOfRoom = (room: string) => (room.startsWith(CHAT_ROOM_PREFIX) ? room.slice(CHAT_ROOM_PREFIX.length) : undefined);

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
    log: FastifyBaseLogger;
    metrics: Metrics;
    limits: RateLimits;
    /** Open sockets allowed per user on this node. */
    maxConnectionsPerUser: number;
    /** CORS_ORIGINS; undefined allows every origin. */
    corsOrigins: string[] | undefined;
    /** How long a cut-off socket's session can be recovered (RECOVERY_WINDOW); 0 turns recovery off. */
    recoveryWindowMs: number;
  },
): Gateway {
  const inFlight = new InFlight();
  let draining = false;
  const io: ParleyServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    // Notes each event's acknowledgement id, for answers sent as pre-encoded frames (large-answers.ts).
    parser: answerIdParser,
    ...(deps.recoveryWindowMs > 0
      ? {
          // Middlewares run for a recovered socket too; the session itself is restored by the
          // last of them, for its own user only (see recovery.ts).
          connectionStateRecovery: { maxDisconnectionDuration: deps.recoveryWindowMs, skipMiddlewares: false },
          adapter: withUserBoundRecovery(BoundedSessionAdapter),
        }
      : {}),
    // Lets pages on the allowed origins use the long-polling transport (WebSocket needs no CORS).
    ...(deps.corsOrigins ? { cors: { origin: deps.corsOrigins } } : {}),
  });

  coalesceWritesPerTurn(io);

  io.use((socket, next) => {
    // Before authentication: a page of another site must not even learn whether a token works.
    if (originAllowed(deps.corsOrigins, socket.handshake.headers.origin)) return next();
    const refusal = new Error(ORIGIN_REFUSED_TEXT) as Error & { data: { code: string } };
    refusal.data = { code: 'FORBIDDEN' };
    next(refusal);
  });

  io.use(async (socket, next) => {
    if (draining) {
      const refusal = new Error(ERRORS.UNAVAILABLE.text) as Error & { data: { code: string } };
      refusal.data = { code: 'UNAVAILABLE' };
      return next(refusal);
    }
    // The seed allows either place; an empty `auth.token` does not hide a header.
    const credential = socket.handshake.auth?.token || socket.handshake.headers.authorization;
    try {
      const { user, expiresAt } = await deps.auth.authenticate(credential);
      socket.data.user = user;
      socket.data.expiresAt = expiresAt;
      next();
    } catch (error) {
      const envelope = toErrorEnvelope(error);
      const refusal = new Error(envelope.error) as Error & { data: { code: string } };
      refusal.data = { code: error instanceof AppError ? envelope.code : 'UNAVAILABLE' };
      next(refusal);
    }
  });

  limitConnectionsPerUser(io, deps.maxConnectionsPerUser, deps.metrics);
  if (deps.recoveryWindowMs > 0) recoverSessions(io, (userId) => deps.chats.chatIdsOf(userId), deps.metrics);
  deps.metrics.countSockets(() => io.of('/').sockets.size);

  const events = new EventTable();
  defineChatEvents(events, { io, chats: deps.chats });
  defineChatFeatureEvents(events, { io, chats: deps.chats });

  io.on('connection', (socket) => {
    const where = { socketId: socket.id, userId: socket.data.user.id };
    deps.log.debug(where, 'socket connected');
    disconnectAtExpiry(socket);
    // Joins the user's room (chat_created, presence, … reach every socket of the user through it).
    trackPresence(io, socket, (userId) => deps.chats.chatPartnerIds(userId));
    serveEvents(socket, events, { limits: deps.limits, metrics: deps.metrics, log: deps.log, inFlight });
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
      // Also closes the adapter, whose Redis reads would otherwise keep the process alive.
      await io.close();
    },
  };
}

/** A socket lives no longer than its token: at `exp` the server closes it. */
function disconnectAtExpiry(socket: ParleySocket): void {
  // setTimeout holds at most 2^31-1 ms (~24.8 days); longer tokens are checked again then.
  const arm = (): NodeJS.Timeout =>
    setTimeout(() => {
      if (Date.now() >= socket.data.expiresAt) socket.disconnect(true);
      else timer = arm();
    }, Math.min(Math.max(socket.data.expiresAt - Date.now(), 0), 2 ** 31 - 1));
  let timer = arm();
  socket.on('disconnect', () => clearTimeout(timer));
}
