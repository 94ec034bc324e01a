import type { Metrics } from '../observability/metrics.js';
import type { Message } from '../protocol/types.js';
import type { ChangesPage } from '../store/messages.js';
import { deliveryChatId, deliveryVersion, emitDelivery, type MessageDelivery } from './message-delivery.js';
import { chatRoom, userRoom } from './rooms.js';
import type { ParleyServer, ParleySocket } from './socket-types.js';

/** How long a change that arrived ahead of a missing version is held before the gap is read from the database. */
export const GAP_WAIT_MS = 250;
/** How often the node compares the versions it delivered with the database's (a lost broadcast is found by then). */
export const POSITION_CHECK_MS = 1_000;
/** Held changes past this many: the gap is read at once instead of waiting. */
const MAX_HELD = 1_000;
/** Messages per database read while filling a gap. */
const FILL_PAGE = 100;

/**
 * The member whose leaving (or removal) `delivery` is: their sockets get it on their own, to their
 * user room, before they leave the chat's room (chat-broadcasts.ts), so the room's copy skips them.
 */
function departedUserId(delivery: MessageDelivery): string | undefined {
  if (delivery.event !== 'chat_event') return undefined;
  const event = delivery.payload;
  return event.kind === 'member_left' || event.kind === 'member_removed' ? event.userId : undefined;
}

/** The database side a feed needs: a chat's changes after a version, and chats' latest versions. */
export interface ChangeSource {
  changesSince(chatId: string, afterVersion: number, limit: number): Promise<ChangesPage | undefined>;
  chatVersions(chatIds: readonly string[]): Promise<Map<string, number>>;
}

/** What this node knows of one chat that has sockets here. */
interface ChatPosition {
  chatId: string;
  /** The last version delivered to this node's sockets in the chat; undefined until a join reads it. */
  delivered: number | undefined;
  /** The highest message seq known delivered: a filled message past it is new here, not changed. */
  lastSeq: number;
  /** Changes that arrived ahead of a version not delivered yet, by version. */
  held: Map<number, MessageDelivery>;
  /** A version the database is known to have reached (position check): fill up to it. */
  target: number;
  gapTimer: NodeJS.Timeout | undefined;
  filling: boolean;
  /** Joins between join_chat's read and its answer, each with what was delivered meanwhile. */
  joining: Set<JoinTicket>;
  /**
   * While `delivered` is unknown: the joins answered so far. The position starts from the oldest
   * of their pages once no join is left pending, so that none misses what came after its own.
   */
  answered: { socket: ParleySocket; version: number; lastSeq: number }[];
  /** Sockets whose join page is newer than `delivered`: they skip versions up to their own. */
  ahead: Map<string, number>;
}

/** One join_chat in progress: its socket, and what was delivered to the chat since it began. */
export interface JoinTicket {
  readonly socket: ParleySocket;
  readonly chatId: string;
  readonly missed: MessageDelivery[];
}

/**
 * Delivers each chat's versioned changes (its messages' and its chat events) to this node's sockets in version order, without repeats,
 * whichever node made them (contract §5). The versions come from PostgreSQL; this keeps, per chat
 * with sockets here, the last version delivered. A change that arrives ahead of a missing one is
 * held; if the missing one does not arrive within GAP_WAIT_MS, the gap is read from the database
 * and delivered in its current state. A change whose broadcast was lost altogether (its node died
 * after commit, Redis dropped it) is found by the position check every POSITION_CHECK_MS, which
 * compares the delivered versions with the database's, and filled the same way.
 *
 * A joining socket is kept out of the chat's room while its page is read, and joins it right after
 * its answer: it then receives exactly the changes after the version its page reflects.
 */
export class ChatFeed {
  private readonly positions = new Map<string, ChatPosition>();
  private readonly checkTimer: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly io: ParleyServer,
    private readonly source: ChangeSource,
    private readonly metrics: Metrics,
    private readonly onError: (error: unknown) => void,
  ) {
    this.checkTimer = setInterval(() => void this.checkPositions(), POSITION_CHECK_MS).unref();
  }

  /** Delivers a change to this node's sockets in the chat, in version order. */
  deliver(delivery: MessageDelivery): void {
    const position = this.positions.get(deliveryChatId(delivery));
    if (!position) return;
    const version = deliveryVersion(delivery);
    if (position.delivered === undefined || version > position.delivered + 1) {
      if (position.delivered === undefined || version > position.delivered) position.held.set(version, delivery);
      if (position.delivered !== undefined) this.awaitGap(position);
      return;
    }
    if (version <= position.delivered) return;
    this.emit(position, delivery);
    this.drainHeld(position);
  }

  /**
   * join_chat, before its page is read: the socket leaves the room, and the chat's changes are
   * kept for it until its answer.
   */
  beginJoin(socket: ParleySocket, chatId: string): JoinTicket {
    const position = this.positionOf(chatId);
    void socket.leave(chatRoom(position.chatId));
    position.ahead.delete(socket.id);
    const ticket: JoinTicket = { socket, chatId: position.chatId, missed: [] };
    position.joining.add(ticket);
    return ticket;
  }

  /**
   * join_chat, right after its answer: the socket joins the room and gets what was delivered
   * since its page (which reflects `version`; `lastSeq` is its last message's seq). A ticket that
   * was cancelled meanwhile (the join failed, the socket left the chat or its user left it) does
   * nothing.
   */
  completeJoin(ticket: JoinTicket, version: number, lastSeq: number): void {
    const position = this.positions.get(ticket.chatId);
    if (!position?.joining.delete(ticket)) return;
    const { socket } = ticket;
    if (!socket.connected) return this.startIfAnswered(position);
    const room = chatRoom(position.chatId);
    // Another join of the same socket answered first: it is in the room and has what followed.
    if (socket.rooms.has(room)) return this.startIfAnswered(position);
    void socket.join(room);
    if (position.delivered === undefined) {
      position.answered.push({ socket, version, lastSeq });
      return this.startIfAnswered(position);
    }
    for (const delivery of ticket.missed) if (deliveryVersion(delivery) > version) emitDelivery(socket, delivery);
    if (position.delivered < version) position.ahead.set(socket.id, version);
  }

  /** join_chat failed: its ticket is dropped (the socket stays out of the room). */
  cancelJoin(ticket: JoinTicket): void {
    const position = this.positions.get(ticket.chatId);
    if (position?.joining.delete(ticket)) this.startIfAnswered(position);
  }

  /** leave_chat: the socket stops receiving the chat, and its joins in progress are dropped. */
  leave(socket: ParleySocket, chatId: string): void {
    void socket.leave(chatRoom(chatId));
    const position = this.positions.get(chatId);
    if (!position) return;
    position.ahead.delete(socket.id);
    for (const ticket of position.joining) if (ticket.socket === socket) position.joining.delete(ticket);
    this.startIfAnswered(position);
  }

  /**
   * A user left the chat: their joins in progress on this node are dropped, so that none puts a
   * socket back into the room after the leave took it out (every node is told, see chat-broadcasts.ts).
   */
  memberLeft(chatId: string, userId: string): void {
    const position = this.positions.get(chatId);
    if (!position) return;
    for (const ticket of position.joining) if (ticket.socket.data.user.id === userId) position.joining.delete(ticket);
    this.startIfAnswered(position);
  }

  close(): void {
    clearInterval(this.checkTimer);
    for (const position of this.positions.values()) clearTimeout(position.gapTimer);
    this.positions.clear();
  }

  private positionOf(chatId: string): ChatPosition {
    let position = this.positions.get(chatId);
    if (!position) {
      position = {
        chatId,
        delivered: undefined,
        lastSeq: 0,
        held: new Map(),
        target: 0,
        gapTimer: undefined,
        filling: false,
        joining: new Set(),
        answered: [],
        ahead: new Map(),
      };
      this.positions.set(chatId, position);
    }
    return position;
  }

  /**
   * Starts a new position once no first join is pending: from the oldest answered page, with
   * the sockets whose pages are newer skipping up to their own version.
   */
  private startIfAnswered(position: ChatPosition): void {
    if (position.delivered !== undefined || position.joining.size > 0 || position.answered.length === 0) return;
    const oldest = position.answered.reduce((a, b) => (b.version < a.version ? b : a));
    position.delivered = oldest.version;
    position.lastSeq = oldest.lastSeq;
    for (const { socket, version } of position.answered)
      if (version > oldest.version) position.ahead.set(socket.id, version);
    position.answered = [];
    for (const held of position.held.keys()) if (held <= oldest.version) position.held.delete(held);
    this.drainHeld(position);
  }

  /**
   * Sends a change to the room (but not to sockets whose page already has it, nor to a departing
   * member's, which get their departure on their own: chat-broadcasts.ts) and to joining sockets.
   */
  private emit(position: ChatPosition, delivery: MessageDelivery): void {
    const version = deliveryVersion(delivery);
    const skip: string[] = [];
    for (const [socketId, floor] of position.ahead) {
      if (floor >= version) skip.push(socketId);
      else position.ahead.delete(socketId);
    }
    const departed = departedUserId(delivery);
    if (departed !== undefined) skip.push(userRoom(departed));
    emitDelivery(this.io.local.to(chatRoom(position.chatId)).except(skip), delivery);
    for (const ticket of position.joining) if (ticket.socket.data.user.id !== departed) ticket.missed.push(delivery);
    position.delivered = version;
    if (delivery.event === 'new_message' && delivery.message.seq > position.lastSeq)
      position.lastSeq = delivery.message.seq;
  }

  /** Delivers the held changes that now follow on, and waits for the next gap if one is left. */
  private drainHeld(position: ChatPosition): void {
    for (
      let next = position.held.get(position.delivered! + 1);
      next;
      next = position.held.get(position.delivered! + 1)
    ) {
      position.held.delete(deliveryVersion(next));
      this.emit(position, next);
    }
    for (const held of position.held.keys()) if (held <= position.delivered!) position.held.delete(held);
    if (position.held.size > 0 || position.target > position.delivered!) this.awaitGap(position);
    else {
      clearTimeout(position.gapTimer);
      position.gapTimer = undefined;
    }
  }

  private awaitGap(position: ChatPosition): void {
    if (position.filling) return;
    if (position.held.size > MAX_HELD) {
      clearTimeout(position.gapTimer);
      position.gapTimer = undefined;
      void this.fill(position);
    } else {
      position.gapTimer ??= setTimeout(() => {
        position.gapTimer = undefined;
        void this.fill(position);
      }, GAP_WAIT_MS);
    }
  }

  /** Reads what this node missed of a chat from the database and delivers it, in its current state. */
  private async fill(position: ChatPosition): Promise<void> {
    if (position.filling || position.delivered === undefined) return;
    if (position.held.size === 0 && position.target <= position.delivered) return;
    position.filling = true;
    try {
      for (;;) {
        const page = await this.source.changesSince(position.chatId, position.delivered, FILL_PAGE);
        if (!page || this.positions.get(position.chatId) !== position) return;
        let filled = 0;
        for (const delivery of this.inVersionOrder(position, page)) {
          if (deliveryVersion(delivery) <= position.delivered) continue;
          this.emit(position, delivery);
          filled++;
        }
        this.metrics.chatChangesFilled(filled);
        if (!page.hasMore) {
          // Versions past the last message read were superseded by later changes of the same messages.
          if (page.version > position.delivered) position.delivered = page.version;
          break;
        }
      }
    } catch (error) {
      this.onError(error);
    } finally {
      position.filling = false;
    }
    if (this.positions.get(position.chatId) === position) this.drainHeld(position);
  }

  /** A page read from the database as deliveries: its messages and chat events merged by version. */
  private inVersionOrder(position: ChatPosition, page: ChangesPage): MessageDelivery[] {
    const deliveries: MessageDelivery[] = [
      ...page.messages.map((message) => ({ event: this.eventFor(position, message), message })),
      ...page.events.map((event) => ({ event: 'chat_event' as const, payload: event })),
    ];
    return deliveries.sort((a, b) => deliveryVersion(a) - deliveryVersion(b));
  }

  /**
   * What a message read from the database is to this node's sockets: new, edited or deleted (a
   * missed reaction or pin is the message in its current state, as `message_updated`).
   */
  private eventFor(position: ChatPosition, message: Message): 'new_message' | 'message_updated' | 'message_deleted' {
    if (message.seq > position.lastSeq) return 'new_message';
    return message.deletedAt ? 'message_deleted' : 'message_updated';
  }

  /**
   * Compares the delivered versions with the database's: a chat that moved without this node
   * hearing of it is filled. Chats without sockets here any more are forgotten.
   */
  private async checkPositions(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const rooms = this.io.of('/').adapter.rooms;
      const known: string[] = [];
      for (const [chatId, position] of this.positions) {
        if (!rooms.get(chatRoom(chatId))?.size && position.joining.size === 0 && position.answered.length === 0) {
          clearTimeout(position.gapTimer);
          this.positions.delete(chatId);
        } else if (position.delivered !== undefined) known.push(chatId);
      }
      if (known.length === 0) return;
      const versions = await this.source.chatVersions(known);
      for (const [chatId, version] of versions) {
        const position = this.positions.get(chatId);
        if (!position || position.delivered === undefined || version <= position.delivered) continue;
        position.target = Math.max(position.target, version);
        this.awaitGap(position);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.checking = false;
    }
  }
}
