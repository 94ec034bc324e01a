/**
 * How long a `typing` lasts without another one: then the server announces `typing: false` by
 * itself, so a client that vanished or forgot `stop_typing` never leaves "is typing…" behind.
 * @default 5000 ms
 */
export const TYPING_EXPIRY_MS = 5_000;

/**
 * Throttle: while a socket keeps sending `typing` for a chat, `user_typing {typing: true}` is
 * repeated at most this often (so that a member who joins the room meanwhile learns of it too);
 * the sends in between only extend the expiry.
 * @default 3000 ms
 */
export const TYPING_REPEAT_MS = 3_000;

/**
 * The typing state of one socket, per chat. It only decides when to announce; `announce` does
 * the broadcasting. Every announced `true` is eventually followed by exactly one `false`:
 * `stop_typing`, the expiry, or `stopAll` when the socket goes away.
 */
export class SocketTyping {
  private readonly active = new Map<string, { timer: NodeJS.Timeout; announcedAt: number }>();

  constructor(private readonly announce: (chatId: string, typing: boolean) => void) {}

  start(chatId: string): void {
    const now = Date.now();
    const current = this.active.get(chatId);
    if (current) clearTimeout(current.timer);
    const repeat = !current || now - current.announcedAt >= TYPING_REPEAT_MS;
    const timer = setTimeout(() => this.stop(chatId), TYPING_EXPIRY_MS);
    timer.unref();
    this.active.set(chatId, { timer, announcedAt: repeat ? now : current.announcedAt });
    if (repeat) this.announce(chatId, true);
  }

  /** Announces `false` if the socket was typing in the chat; otherwise does nothing. */
  stop(chatId: string): void {
    const current = this.active.get(chatId);
    if (!current) return;
    clearTimeout(current.timer);
    this.active.delete(chatId);
    this.announce(chatId, false);
  }

  stopAll(): void {
    for (const chatId of [...this.active.keys()]) this.stop(chatId);
  }
}
