import type { Namespace } from 'socket.io';
import { SessionAwareAdapter, type Adapter, type BroadcastOptions, type Session } from 'socket.io-adapter';
import type { Metrics, RecoveryOutcome } from '../observability/metrics.js';
import { chatIdOfRoom, type ParleyServer, type ParleySocket, type SocketData } from './gateway.js';

/**
 * Socket.IO connection-state recovery, bound to the user and to their chats of now.
 *
 * Socket.IO 4.8 restores a session — re-joins its rooms and writes the packets it missed to the
 * wire — while it creates the socket, before any middleware has checked the token, and a session
 * is bound to no user: whoever presents its id gets that traffic, and so does a member who left a
 * chat during the cut. So the adapter's restore is hidden from Socket.IO (it always finds nothing)
 * and run instead by the last handshake middleware, once the token has been checked: the session
 * must be the same user's, and only the chats the user still belongs to are re-joined and replayed.
 */

/** What `io.adapter()` takes: an adapter class, or a factory function. */
type AdapterConstructor = (new (nsp: Namespace) => Adapter) | ((nsp: Namespace) => Adapter);

type RestoreSession = (pid: string, offset: string) => Promise<Session | null>;

/** The adapter's own restore, reachable only from here. */
const authorisedRestores = new WeakMap<Adapter, RestoreSession>();

/**
 * An adapter constructor whose sessions Socket.IO cannot restore by itself (see above). Works for
 * classes and for factories such as the Redis adapter's: Socket.IO calls it with `new`, which
 * returns the object a plain function returns.
 */
export function withUserBoundRecovery(makeAdapter: AdapterConstructor): (nsp: Namespace) => Adapter {
  return function userBoundAdapter(nsp: Namespace): Adapter {
    const adapter = new (makeAdapter as new (nsp: Namespace) => Adapter)(nsp);
    const restore = adapter.restoreSession.bind(adapter);
    authorisedRestores.set(adapter, async (pid, offset) => (await restore(pid, offset)) ?? null);
    adapter.restoreSession = () => Promise.resolve(null as unknown as Session);
    return adapter;
  };
}

/**
 * How many of the latest broadcasts a session can be recovered from, on one node as in the Redis
 * stream (its `maxLen`). A client cut off for longer than that many events falls back to history.
 */
export const RECOVERABLE_EVENTS = 10_000;

/**
 * The single-node session store: Socket.IO's in-memory one, which keeps every broadcast of the
 * recovery window — without bound at a high message rate — capped at RECOVERABLE_EVENTS.
 */
export class BoundedSessionAdapter extends SessionAwareAdapter {
  override broadcast(packet: unknown, opts: BroadcastOptions): void {
    super.broadcast(packet, opts);
    // `packets` is private to Socket.IO's class; it is trimmed in blocks so that splicing stays rare.
    const kept = (this as unknown as { packets: unknown[] }).packets;
    if (kept.length > RECOVERABLE_EVENTS * 1.1) kept.splice(0, kept.length - RECOVERABLE_EVENTS);
  }
}

/**
 * The handshake middleware that restores a session; install it after every other one, since a
 * socket refused after joining rooms would stay in them. A session that cannot be restored (too
 * old, another user's, unknown) leaves a fresh connection, which the client can tell from
 * `socket.recovered` being false — and then follows the README's recipe (re-join, fill the gap
 * with `get_chat_messages {after}`).
 */
export function recoverSessions(
  io: ParleyServer,
  chatIdsOf: (userId: string) => Promise<string[]>,
  metrics: Metrics,
): void {
  io.use(async (socket, next) => {
    const { pid, offset } = (socket.handshake.auth ?? {}) as { pid?: unknown; offset?: unknown };
    const restore = authorisedRestores.get(socket.nsp.adapter);
    if (typeof pid === 'string' && typeof offset === 'string' && restore) {
      metrics.sessionPresented(await recover(socket, restore, pid, offset, chatIdsOf).catch(() => 'not_found' as const));
    }
    next();
  });
}

async function recover(
  socket: ParleySocket,
  restore: RestoreSession,
  pid: string,
  offset: string,
  chatIdsOf: (userId: string) => Promise<string[]>,
): Promise<RecoveryOutcome> {
  const userId = socket.data.user.id;
  // Read before the session: between reading the session (which takes the packets missed so far)
  // and joining its rooms nothing may wait, or broadcasts in between would be lost.
  const memberOf = new Set(await chatIdsOf(userId));
  const session = await restore(pid, offset).catch(() => null);
  if (!session) return 'not_found';
  if ((session.data as Partial<SocketData> | undefined)?.user?.id !== userId) return 'other_user';

  // Only chat rooms: the user room is joined on connection, the old socket-id room is gone.
  for (const room of session.rooms) {
    const chatId = chatIdOfRoom(room);
    if (chatId !== undefined && memberOf.has(chatId)) void socket.join(room);
  }
  for (const data of session.missedPackets) {
    // The same write Socket.IO's own recovery makes: straight to this client, before its CONNECT
    // (the client holds events until then), each packet still carrying its stream offset.
    if (replayable(data, memberOf)) socket.client._packet({ type: EVENT_PACKET, nsp: socket.nsp.name, data });
  }
  // The client knows it recovered when the server answers the session id it presented; the
  // socket was created fresh (Socket.IO found no session), so it takes the restored one.
  Reflect.set(socket, 'pid', session.pid);
  Reflect.set(socket, 'recovered', true);
  return 'recovered';
}

/** socket.io-parser's PacketType.EVENT. */
const EVENT_PACKET = 2;

/**
 * A missed packet is replayed unless it belongs to a chat the user has left since; their own
 * `chat_left` is replayed, since it tells them exactly that.
 */
function replayable(data: unknown[], memberOf: ReadonlySet<string>): boolean {
  const [event, payload] = data;
  if (event === 'chat_left') return true;
  const chatId = chatNamedBy(payload);
  return chatId === undefined || memberOf.has(chatId);
}

/** The chat a server → client payload is about: `chatId` (messages, reads, typing) or `chat.id` (chat_created). */
function chatNamedBy(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { chatId, chat } = payload as { chatId?: unknown; chat?: { id?: unknown } };
  if (typeof chatId === 'string') return chatId;
  return typeof chat?.id === 'string' ? chat.id : undefined;
}
