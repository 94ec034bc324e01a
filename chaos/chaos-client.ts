import { io, type Socket } from 'socket.io-client';
import type { Message } from '../src/protocol/types.js';
import type { TestUser } from '../test/helpers/server.js';
import { ask, askThen } from './ask.js';
import { sleep } from './helpers.js';
import type { Slot } from './pool.js';
import { rel, type RunContext } from './run-context.js';

/** One socket's live tracking of one chat. */
export interface LiveTrack {
  last: number | undefined;
  seen: Set<number>;
  joined: boolean;
}

const LIVE_EVENTS = ['new_message', 'message_updated', 'message_deleted'] as const;

/**
 * A simulated user: one Socket.IO connection at a time to a node the pool picks, the reconnect
 * recipe on every connection (get_my_chats, join_chat each chat, sync), a closed send loop that
 * retries each message with the same clientMessageId until acknowledged, and occasional edits and
 * deletes of its own messages. It records what it saw live (versions, gaps, lateness) in the run's
 * context, and keeps a view of each chat for the end-of-run comparison with the database.
 */
export class ChaosClient {
  socket: Socket | undefined;
  slot: Slot | undefined;
  /** Connected, and the reconnect recipe (get_my_chats, join_chat, sync) has completed. */
  ready = false;
  readyAt = 0;
  /** Per chat: message id → the message in the newest state this client has seen. */
  readonly view = new Map<string, Map<string, Message>>();
  /** Per chat: the highest version applied in order (from live events) or from sync. */
  readonly held = new Map<string, number>();
  /** Per chat: versions applied from live events above `held`, not contiguous with it yet. */
  private readonly aheadLive = new Map<string, Set<number>>();
  /** Per chat: the live tracking of the current socket (for the end-of-run examples). */
  live = new Map<string, LiveTrack>();
  private readonly own: { id: string; chatId: string; deleted: boolean }[] = [];
  unacked = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private sendDone: Promise<void> = Promise.resolve();

  constructor(
    readonly index: number,
    readonly user: TestUser,
    readonly chats: string[],
    private readonly ctx: RunContext,
  ) {
    for (const chatId of chats) {
      this.view.set(chatId, new Map());
      this.held.set(chatId, 0);
      this.aheadLive.set(chatId, new Set());
    }
  }

  get name(): string {
    return `client ${this.index} (${this.user.user.username})`;
  }

  /** Every clientMessageId this client sends starts with it (then the message's number). */
  get clientMessageIdPrefix(): string {
    return `${this.ctx.runId}-${this.index}-`;
  }

  start(): void {
    this.loopDone = this.connectionLoop();
  }

  startSending(): void {
    this.sendDone = this.sendLoop();
  }

  sendingDone(): Promise<void> {
    return this.sendDone;
  }

  connectionDone(): Promise<void> {
    return this.loopDone;
  }

  // ---- connection and the reconnect recipe ----

  private async connectionLoop(): Promise<void> {
    const { ctx } = this;
    let avoid: Slot | undefined;
    while (!ctx.stopped) {
      const slot = ctx.pool.pick(avoid);
      if (!slot) {
        await Promise.race([sleep(200), ctx.stop]);
        continue;
      }
      slot.clients++;
      const live = new Map<string, LiveTrack>();
      let socket: Socket;
      try {
        socket = await this.open(slot.node.url, live);
      } catch {
        slot.clients--;
        ctx.stats.connections.connectFailures++;
        avoid = slot;
        await Promise.race([sleep(300 + ctx.rng() * 400), ctx.stop]);
        continue;
      }
      ctx.stats.connections.opened++;
      const disconnected = new Promise<string>((resolve) =>
        socket.once('disconnect', (reason) => resolve(String(reason))),
      );
      this.socket = socket;
      this.slot = slot;
      this.live = live;
      try {
        await this.recipe(socket, live);
        if (socket.connected) {
          this.ready = true;
          this.readyAt = Date.now();
        }
      } catch (error) {
        ctx.stats.connections.recipeFailures++;
        ctx.examples.add('recipeFailures', { client: this.index, node: slot.name, at: rel(ctx), error: String(error) });
        socket.close();
      }
      await Promise.race([disconnected, ctx.stop]);
      this.ready = false;
      this.socket = undefined;
      slot.clients--;
      socket.close();
      if (ctx.stopped) break;
      ctx.stats.connections.disconnects++;
      avoid = slot;
      await Promise.race([sleep(200 + ctx.rng() * 300), ctx.stop]);
    }
  }

  private open(url: string, live: Map<string, LiveTrack>): Promise<Socket> {
    const socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: this.ctx.ackTimeoutMs,
      auth: { token: this.user.token },
    });
    for (const event of LIVE_EVENTS) socket.on(event, (message: Message) => this.onLive(event, message, live));
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
  }

  /** get_my_chats, join_chat each chat, then sync from the version held per chat. */
  private async recipe(socket: Socket, live: Map<string, LiveTrack>): Promise<void> {
    const { ctx } = this;
    const list = await ask(socket, ctx.ackTimeoutMs, 'get_my_chats');
    if (!list.success) throw new Error(`get_my_chats: ${JSON.stringify(list)}`);
    const listed = list.chats.map((chat) => chat.id);
    if (listed.length !== this.chats.length || !this.chats.every((id) => listed.includes(id))) {
      ctx.stats.connections.chatListMismatches++;
      ctx.examples.add('chatListMismatches', { client: this.index, expected: this.chats, listed });
    }
    const chats = listed.filter((id) => this.view.has(id));
    await Promise.all(
      chats.map((chatId) =>
        askThen(socket, ctx.ackTimeoutMs, 'join_chat', { chatId }, (answer) => {
          if (!answer.success) throw new Error(`join_chat: ${JSON.stringify(answer)}`);
          const track = live.get(chatId);
          if (track) {
            track.joined = true;
            if (track.last === undefined || track.last < answer.version) track.last = answer.version;
          } else {
            live.set(chatId, { last: answer.version, seen: new Set(), joined: true });
          }
          for (const message of answer.messages) this.apply(message);
        }),
      ),
    );
    await this.sync(socket, chats);
  }

  /** sync from the version held per chat until no chat has more. */
  async sync(socket: Socket, chatIds: string[]): Promise<void> {
    let pending = chatIds.map((chatId) => ({ chatId, version: this.held.get(chatId) ?? 0 }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > 10_000) throw new Error('sync did not finish in 10 000 pages');
      const next: { chatId: string; version: number }[] = [];
      await askThen(socket, this.ctx.ackTimeoutMs, 'sync', { chats: pending }, (answer) => {
        if (!answer.success) throw new Error(`sync: ${JSON.stringify(answer)}`);
        for (const entry of answer.chats) {
          if (!entry.success) throw new Error(`sync entry: ${JSON.stringify(entry)}`);
          for (const message of entry.messages) this.apply(message);
          this.advanceHeld(entry.chatId, entry.version);
          if (entry.hasMore) next.push({ chatId: entry.chatId, version: entry.version });
        }
      });
      pending = next;
    }
  }

  // ---- live events ----

  private onLive(event: (typeof LIVE_EVENTS)[number], message: Message, live: Map<string, LiveTrack>): void {
    const { ctx } = this;
    const stats = ctx.stats;
    const now = Date.now();
    stats.live.events++;
    if (event === 'new_message') stats.live.newMessage++;
    else if (event === 'message_updated') stats.live.updated++;
    else stats.live.deleted++;
    const { chatId, version } = message;
    let track = live.get(chatId);
    if (!track) {
      track = { last: undefined, seen: new Set(), joined: false };
      live.set(chatId, track);
    }
    const where = {
      client: this.index,
      node: this.slot?.name,
      chatId,
      event,
      version,
      messageId: message.id,
      at: rel(ctx, now),
    };
    if (!track.joined) {
      stats.live.beforeJoin++;
      ctx.examples.add('beforeJoin', where);
    }
    if (track.seen.has(version)) {
      stats.live.repeated++;
      ctx.examples.add('repeated', { ...where, last: track.last });
    } else if (track.last !== undefined && version <= track.last) {
      stats.live.backwards++;
      ctx.examples.add('backwards', { ...where, last: track.last });
    } else if (track.last !== undefined && version > track.last + 1) {
      stats.live.gapsSeen++;
      ctx.examples.add('gapsSeen', { ...where, last: track.last });
      if (ctx.gaps.length < 100_000) ctx.gaps.push({ ...where, from: track.last, to: version });
    }
    track.seen.add(version);
    if (track.last === undefined || version > track.last) track.last = version;

    if (event === 'new_message') {
      const lateness = now - Date.parse(message.createdAt);
      stats.deliveries.push({ at: now, ms: lateness });
      if (lateness > ctx.lateMs) {
        stats.late++;
        ctx.examples.add('late', { ...where, lateMs: lateness, createdAt: message.createdAt });
      }
      if (stats.maxLateMs === null || lateness > stats.maxLateMs) stats.maxLateMs = lateness;
    }

    if (!this.view.has(chatId)) return;
    this.apply(message);
    const held = this.held.get(chatId) ?? 0;
    if (version === held + 1) this.advanceHeld(chatId, version);
    else if (version > held) this.aheadLive.get(chatId)!.add(version);
  }

  /** A message into the view, unless the view already has a newer state of it. */
  private apply(message: Message): void {
    const messages = this.view.get(message.chatId);
    if (!messages) return;
    const had = messages.get(message.id);
    if (!had || message.version >= had.version) messages.set(message.id, message);
  }

  private advanceHeld(chatId: string, version: number): void {
    let held = Math.max(this.held.get(chatId) ?? 0, version);
    const ahead = this.aheadLive.get(chatId)!;
    while (ahead.has(held + 1)) held++;
    for (const v of ahead) if (v <= held) ahead.delete(v);
    this.held.set(chatId, held);
  }

  // ---- sending ----

  private async readySocket(deadline: number): Promise<Socket | undefined> {
    while (Date.now() < deadline && !this.ctx.stopped) {
      if (this.ready && this.socket?.connected) return this.socket;
      await sleep(50);
    }
    return undefined;
  }

  private async sendLoop(): Promise<void> {
    const { ctx } = this;
    let next = Date.now() + ctx.rng() * ctx.sendIntervalMs;
    for (let n = 0; ctx.sending; n++) {
      await sleep(next - Date.now());
      if (!ctx.sending) break;
      const chatId = this.chats[n % this.chats.length]!;
      const clientMessageId = `${this.clientMessageIdPrefix}${n}`;
      await this.send(chatId, clientMessageId, `client ${this.index} message ${n} (${clientMessageId})`);
      const roll = ctx.rng();
      if (roll < ctx.editRatio) await this.change('edit');
      else if (roll < ctx.editRatio + ctx.deleteRatio) await this.change('delete');
      next = Math.max(next + ctx.sendIntervalMs, Date.now());
    }
  }

  /** Sends until acknowledged (same clientMessageId every time) or the retry deadline. */
  private async send(chatId: string, clientMessageId: string, text: string): Promise<void> {
    const { ctx } = this;
    ctx.stats.messages++;
    while (Date.now() < ctx.retryDeadline && !ctx.stopped) {
      const socket = await this.readySocket(ctx.retryDeadline);
      if (!socket) break;
      const emitAt = Date.now();
      ctx.stats.sent++;
      try {
        const answer = await ask(socket, ctx.ackTimeoutMs, 'send_message', { chatId, text, clientMessageId });
        if (answer.success && answer.message) {
          ctx.acks.push({ clientMessageId, id: answer.message.id, chatId, emitAt, ackAt: Date.now() });
          this.own.push({ id: answer.message.id, chatId, deleted: false });
          return;
        }
        const code = (answer.success ? undefined : answer.code) ?? 'NO_CODE';
        ctx.stats.sendFailures[code] = (ctx.stats.sendFailures[code] ?? 0) + 1;
      } catch (error) {
        const kind = /timed out/i.test(String(error)) ? 'ack timeout' : 'socket error';
        ctx.stats.sendFailures[kind] = (ctx.stats.sendFailures[kind] ?? 0) + 1;
      }
      await sleep(300 + ctx.rng() * 300);
    }
    this.unacked++;
    ctx.examples.add('unacked', { client: this.index, chatId, clientMessageId, at: rel(ctx) });
  }

  /** Edits or deletes one of the client's own messages (a few attempts). */
  private async change(kind: 'edit' | 'delete'): Promise<void> {
    const { ctx } = this;
    const candidates = this.own.filter((message) => !message.deleted);
    if (candidates.length === 0) return;
    const target = candidates[Math.floor(ctx.rng() * candidates.length)]!;
    if (kind === 'edit') ctx.stats.edits.attempted++;
    else ctx.stats.deletes.attempted++;
    for (let attempt = 0; attempt < 3 && Date.now() < ctx.retryDeadline; attempt++) {
      const socket = await this.readySocket(ctx.retryDeadline);
      if (!socket) return;
      try {
        const answer =
          kind === 'edit'
            ? await ask(socket, ctx.ackTimeoutMs, 'edit_message', {
                messageId: target.id,
                text: `edited by client ${this.index} at ${rel(ctx)}`,
              })
            : await ask(socket, ctx.ackTimeoutMs, 'delete_message', { messageId: target.id });
        if (answer.success) {
          if (kind === 'edit') ctx.stats.edits.acked++;
          else {
            ctx.stats.deletes.acked++;
            target.deleted = true;
          }
          return;
        }
        if (answer.code === 'NOT_FOUND') {
          // Already deleted by an earlier attempt whose answer was lost.
          if (kind === 'delete') target.deleted = true;
          return;
        }
      } catch {
        // timeout or disconnect: try again
      }
      await sleep(300);
    }
  }
}
