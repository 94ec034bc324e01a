import { userRoom } from './rooms.js';
import type { ParleyServer, ParleySocket } from './socket-types.js';

/**
 * How long a node remembers a closed account: longer than a handshake can last (Socket.IO's
 * connectTimeout, 45 s by default), so that every handshake in flight when the deletion was heard
 * of has connected, or given up, by the time it is forgotten.
 */
const REMEMBER_MS = 60_000;

/**
 * Closed accounts, on one node — deleted, banned, or bots whose keys were revoked: their sockets
 * here are closed as the closing is heard of (every node hears of it, see chat-broadcasts.ts), and
 * so is a socket of such an account whose handshake began before that and connects afterwards — it
 * was authenticated just before the closing committed, and it was not in its user's room yet when
 * the others were closed. A handshake that began later was authenticated against the account as it
 * is since (an unbanned account, a bot's new key): it is let in.
 */
export class ClosedAccounts {
  /** User id → when this node heard of the closing (ms since the epoch), oldest first. */
  private readonly closedAt = new Map<string, number>();

  constructor(private readonly io: ParleyServer) {}

  /** Closes every socket of `userId` on this node, and those whose handshake began before now that connect in the next REMEMBER_MS. */
  close(userId: string): void {
    this.forgetOld();
    this.closedAt.delete(userId);
    this.closedAt.set(userId, Date.now());
    // `true`: the connection itself is closed, so that the client does not reconnect by itself.
    this.io.local.in(userRoom(userId)).disconnectSockets(true);
  }

  /** On connect: false (and the socket is closed) for a socket of an account closed after its handshake began. */
  admit(socket: ParleySocket): boolean {
    this.forgetOld();
    const closedAt = this.closedAt.get(socket.data.user.id);
    if (closedAt === undefined || socket.handshake.issued > closedAt) return true;
    socket.disconnect(true);
    return false;
  }

  private forgetOld(): void {
    const horizon = Date.now() - REMEMBER_MS;
    for (const [userId, at] of this.closedAt) {
      if (at > horizon) break;
      this.closedAt.delete(userId);
    }
  }
}
