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
import { registerChatEvents } from './chat-events.js';
import { registerChatFeatureEvents } from './chat-feature-events.js';
import { limitConnectionsPerUser } from './connection-limit.js';
import { limitEvents } from './event-limits.js';
import { InFlight } from './in-flight.js';

export interface SocketData {
  user: PublicUser;
  /** When the socket's token expires, in ms since the epoch. */
  expiresAt: number;
}

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Transport limit from the contract: larger packets are refused before any parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/*
 * Socket.IO connection-state recovery stays OFF, on purpose. In socket.io 4.8 a recovered socket
 * is rebuilt from its saved session — rooms re-joined, missed packets written to the wire —
 * before any middleware runs, and the session is bound to no user: a client with an expired or
 * wrong token, or one that left a chat during the cut, would still be handed that chat's traffic.
 * A reconnecting client re-joins its chats and fills the gap with get_chat_messages {after}.
 */

/** The room that receives a chat's `new_message`. */
export const chatRoom = (chatId: string) => `chat:${chatId}`;

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
  },
): Gateway {
  const inFlight = new InFlight();
  let draining = false;
  const io: ParleyServer = new Server(httpServer, {
    maxHttpBufferSize: MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    // Lets pages on the allowed origins use the long-polling transport (WebSocket needs no CORS).
    ...(deps.corsOrigins ? { cors: { origin: deps.corsOrigins } } : {}),
  });

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
  deps.metrics.countSockets(() => io.of('/').sockets.size);

  io.on('connection', (socket) => {
    const log = deps.log.child({ socketId: socket.id, userId: socket.data.user.id });
    log.debug('socket connected');
    disconnectAtExpiry(socket);
    limitEvents(socket, deps.limits, deps.metrics);
    const handle = registerChatEvents(socket, { io, chats: deps.chats, log, inFlight, metrics: deps.metrics });
    registerChatFeatureEvents(socket, handle, { io, chats: deps.chats });
    socket.on('disconnect', (reason) => log.debug({ reason }, 'socket disconnected'));
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
