import type { FastifyBaseLogger } from 'fastify';
import type { z } from 'zod';
import type { ChatService } from '../chat/chat-service.js';
import { AppError, TEXTS, toErrorEnvelope } from '../errors.js';
import { chatRefSchema, getChatMessagesSchema, sendMessageSchema } from '../protocol/schemas.js';
import { parseInput } from '../validation.js';
import { RateLimitedError, toWireError } from '../limits/rate-limited-error.js';
import type { Metrics } from '../observability/metrics.js';
import type { InFlight } from './in-flight.js';
import { withPresence } from './presence.js';
import { chatRoom, type ParleyServer, type ParleySocket } from './gateway.js';

interface Deps {
  io: ParleyServer;
  chats: ChatService;
  log: FastifyBaseLogger;
  inFlight: InFlight;
  metrics: Metrics;
}

type Acknowledge = (answer: unknown) => void;

/** Unanswered events one socket may have; a client that waits for its answers never gets near. */
const MAX_EVENTS_IN_FLIGHT_PER_SOCKET = 32;
const RETRY_BUSY_MS = 1_000;

/**
 * Registers one more event on the socket with the same validation, envelope, metrics and
 * unknown-event bookkeeping as the seed's events (used by chat-feature-events.ts).
 */
export type HandleEvent = <S extends z.ZodType | null>(
  event: string,
  schema: S,
  handler: (payload: S extends z.ZodType ? z.output<S> : undefined) => Promise<object>,
) => void;

/**
 * The seed's events. Each handler validates its payload with its schema, checks membership in
 * the chat service, and answers through the acknowledgement with the `success` envelope. An event
 * sent without a callback is still carried out; nothing a client sends can throw out of here.
 */
export function registerChatEvents(socket: ParleySocket, { io, chats, log, inFlight, metrics }: Deps): HandleEvent {
  const user = socket.data.user;
  const known = new Set<string>();
  /** Events of this socket still being handled. */
  let running = 0;

  function handle<S extends z.ZodType | null>(
    event: string,
    schema: S,
    handler: (payload: S extends z.ZodType ? z.output<S> : undefined) => Promise<object>,
  ): void {
    known.add(event);
    socket.on(event as 'get_my_chats', (...args: unknown[]) =>
      inFlight.track(async () => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as Acknowledge) : undefined;
        const started = performance.now();
        running++;
        try {
          // The rate limit bounds how fast events arrive, not how many wait on a slow database:
          // past this many unanswered events a socket is refused instead of queueing more work.
          if (running > MAX_EVENTS_IN_FLIGHT_PER_SOCKET) throw new RateLimitedError(RETRY_BUSY_MS, TEXTS.tooManyInFlight);
          const payload = schema === null ? undefined : parseInput(schema, args[0]);
          const result = await handler(payload as S extends z.ZodType ? z.output<S> : undefined);
          metrics.eventHandled(event, 'success', (performance.now() - started) / 1000);
          ack?.({ success: true, ...result });
        } catch (error) {
          const envelope = toWireError(error);
          metrics.eventHandled(event, envelope.code, (performance.now() - started) / 1000);
          if (envelope.code === 'INTERNAL') log.error({ err: error, event }, 'event failed');
          else log.debug({ event, code: envelope.code }, 'event refused');
          ack?.(envelope);
        } finally {
          running--;
        }
      }),
    );
  }

  handle('send_message', sendMessageSchema, async (payload) => {
    // Sends resolve in commit order (group commit, one batch at a time), and nothing is awaited
    // between here and the emit, so new_message leaves this node in the order of history.
    const { message, created } = await chats.sendMessage(user, payload);
    // A retried send answers the original message but must not be delivered twice.
    if (created) io.to(chatRoom(message.chatId)).emit('new_message', message);
    return { message };
  });

  handle('join_chat', chatRefSchema, async ({ chatId }) => ({
    messages: await chats.openChat(user.id, chatId, async () => socket.join(chatRoom(chatId))),
  }));

  handle('leave_chat', chatRefSchema, async ({ chatId }) => {
    await chats.assertMember(user.id, chatId);
    await socket.leave(chatRoom(chatId));
    return {};
  });

  handle('get_chat_messages', getChatMessagesSchema, (query) => chats.history(user.id, query));

  handle('get_my_chats', null, async () => ({ chats: await withPresence(io, await chats.listChats(user.id)) }));

  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && known.has(event)) return;
    const ack = args.at(-1);
    if (typeof ack === 'function') {
      ack(toErrorEnvelope(new AppError('VALIDATION_ERROR', `${TEXTS.unknownEvent}: ${String(event).slice(0, 64)}`, 'event')));
    }
  });
  return handle;
}
