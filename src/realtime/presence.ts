import type { ChatMember } from '../protocol/types.js';
import type { InFlight } from './in-flight.js';
import { userRoom } from './rooms.js';
import type { ParleyServer, ParleySocket } from './socket-types.js';

/**
 * Presence without state of its own: a user is online while at least one of their sockets is in
 * their user room on any node, which the adapter can count cluster-wide (fetchSockets). Nothing
 * has to be cleaned up when a node dies: its sockets simply stop being counted.
 *
 * `user_online` is announced by the user's oldest socket — by the moment it joined its user room,
 * stamped on the socket's data in the same tick — so that sockets connecting at once announce it
 * once (a socket that joined later always sees the older one); `user_offline` by a socket that
 * finds none left after it. Presence is advisory: a failed count (a node not answering) announces
 * nothing.
 *
 * The audience (the partners in chats small enough, PRESENCE_MAX_CHAT_MEMBERS) is read from the
 * database only by the socket that makes an announcement, after the count: a user's twentieth tab
 * costs a count of their sockets (on one node, a look at its own rooms), not a query.
 */
/** What presence keeps on a socket's data (which fetchSockets carries across nodes). */
interface PresenceData {
  /** When the socket joined its user room, in ms since the epoch. */
  presenceSince?: number;
}

const since = (data: unknown) => (data as PresenceData).presenceSince ?? 0;

/**
 * Joins the socket to its user's room and announces the user's presence changes. The announcement
 * of a disconnect is tracked in `inFlight`, so that a draining node makes it before it closes its
 * Redis connection.
 */
export function trackPresence(
  io: ParleyServer,
  socket: ParleySocket,
  audienceOf: (userId: string) => Promise<string[]>,
  inFlight: InFlight,
): void {
  const userId = socket.data.user.id;
  (socket.data as PresenceData).presenceSince = Date.now();
  void socket.join(userRoom(userId));
  const announce = (event: 'user_online' | 'user_offline', audience: string[]) =>
    io.to(audience.map(userRoom)).emit(event, { userId });

  const connected = async () => {
    const sockets = await io.in(userRoom(userId)).fetchSockets();
    const mine = since(socket.data);
    const older = sockets.some(
      (other) =>
        other.id !== socket.id && (since(other.data) < mine || (since(other.data) === mine && other.id < socket.id)),
    );
    if (older || !socket.connected) return;
    const audience = await audienceOf(userId);
    if (audience.length > 0) announce('user_online', audience);
  };
  connected().catch(() => {});

  socket.on('disconnect', () => {
    // By now the socket has left every room, its user room included.
    const disconnected = async () => {
      const sockets = await io.in(userRoom(userId)).fetchSockets();
      if (sockets.length > 0) return;
      const audience = await audienceOf(userId);
      if (audience.length > 0) announce('user_offline', audience);
    };
    void inFlight.track(() => disconnected().catch(() => {}));
  });
}

/**
 * The chat list with `online` on every member. Users with a socket on this node are online
 * without asking anyone (the adapter's local rooms); only the others are counted cluster-wide, in
 * one fetchSockets — which a single node answers from the same local rooms. If the count fails,
 * the list is answered without `online` rather than not at all. The members are marked in place:
 * the store made them for this list alone.
 */
export async function withPresence<Chat extends { users: ChatMember[] }>(
  io: ParleyServer,
  chats: Chat[],
): Promise<Chat[]> {
  // By object: the store shares each user's entry (and each group member's, per role) across
  // chats (ChatStore.summaries), so each is marked once; an entry not shared is marked on its own.
  const users = new Set<ChatMember>();
  for (const chat of chats) for (const user of chat.users) users.add(user);
  if (users.size === 0) return chats;
  const localRooms = io.of('/').adapter.rooms;
  const online = new Set<string>();
  const elsewhere: string[] = [];
  for (const id of new Set([...users].map((user) => user.id))) {
    if (localRooms.get(userRoom(id))?.size) online.add(id);
    else elsewhere.push(userRoom(id));
  }
  if (elsewhere.length > 0) {
    try {
      for (const socket of await io.in(elsewhere).fetchSockets()) online.add(socket.data.user.id);
    } catch {
      return chats;
    }
  }
  for (const user of users) user.online = online.has(user.id);
  return chats;
}
