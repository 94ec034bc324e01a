import type { ChatSummary } from '../protocol/types.js';
import { userRoom } from './chat-broadcasts.js';
import type { ParleyServer, ParleySocket } from './gateway.js';

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
 */
/** What presence keeps on a socket's data (which fetchSockets carries across nodes). */
interface PresenceData {
  /** When the socket joined its user room, in ms since the epoch. */
  presenceSince?: number;
}

const since = (data: unknown) => (data as PresenceData).presenceSince ?? 0;

/** Joins the socket to its user's room and announces the user's presence changes. */
export function trackPresence(io: ParleyServer, socket: ParleySocket, partnerIds: (userId: string) => Promise<string[]>): void {
  const userId = socket.data.user.id;
  (socket.data as PresenceData).presenceSince = Date.now();
  void socket.join(userRoom(userId));
  const announce = async (event: 'user_online' | 'user_offline') => {
    const audience = await partnerIds(userId);
    if (audience.length > 0) io.to(audience.map(userRoom)).emit(event, { userId });
  };

  const connected = async () => {
    const sockets = await io.in(userRoom(userId)).fetchSockets();
    const mine = since(socket.data);
    const older = sockets.some(
      (other) => other.id !== socket.id && (since(other.data) < mine || (since(other.data) === mine && other.id < socket.id)),
    );
    if (!older && socket.connected) await announce('user_online');
  };
  connected().catch(() => {});

  socket.on('disconnect', () => {
    // By now the socket has left every room, its user room included.
    const disconnected = async () => {
      const sockets = await io.in(userRoom(userId)).fetchSockets();
      if (sockets.length === 0) await announce('user_offline');
    };
    disconnected().catch(() => {});
  });
}

/**
 * The chat list with `online` on every member, from one cluster-wide count. If the count fails,
 * the list is answered without `online` rather than not at all.
 */
export async function withPresence(io: ParleyServer, chats: ChatSummary[]): Promise<ChatSummary[]> {
  const userIds = [...new Set(chats.flatMap((chat) => chat.users.map((user) => user.id)))];
  if (userIds.length === 0) return chats;
  let online: Set<string>;
  try {
    const sockets = await io.in(userIds.map(userRoom)).fetchSockets();
    online = new Set(sockets.map((s) => s.data.user.id));
  } catch {
    return chats;
  }
  return chats.map((chat) => ({ ...chat, users: chat.users.map((user) => ({ ...user, online: online.has(user.id) })) }));
}
