import type { ChatMember, ChatSummary } from './types.js';

/** A value that writes its own JSON text, the text JSON.stringify would write of it (toJSON). */
export interface WritesJson {
  /** Its JSON; `written` holds the JSON of objects written before in the same answer, by object. */
  writeJson(written: Map<object, string>): string;
}

export const writesJson = (value: unknown): value is WritesJson =>
  typeof (value as Partial<WritesJson> | null)?.writeJson === 'function';

/**
 * A chat of the chat list, written as JSON by the store but for its members, whose `online` is
 * only known when the list is answered (presence). A user in a thousand chats gets a megabyte of
 * JSON; building it as objects first and stringifying them cost more than the JSON the database
 * hands over (docs/performance.md). `head` is `{"id":…,"name":…,"users":` and `tail` the rest
 * from `,"messages":` to the closing brace. `users` are the store's member objects, each shared by
 * every chat of the list it is in, so each is written once per answer.
 *
 * JSON.stringify, and so Socket.IO's encoder and Fastify's, sees the summary itself (toJSON); the
 * large-answer encoder (realtime/large-answers.ts) and chatListJson write the text.
 */
export class ChatSummaryText implements WritesJson {
  constructor(
    readonly id: string,
    private readonly head: string,
    readonly users: ChatMember[],
    private readonly tail: string,
  ) {}

  writeJson(written: Map<object, string>): string {
    let users = '';
    for (const user of this.users) {
      let json = written.get(user);
      if (json === undefined) written.set(user, (json = JSON.stringify(user)));
      users = users === '' ? json : `${users},${json}`;
    }
    return `${this.head}[${users}]${this.tail}`;
  }

  toJSON(): ChatSummary {
    return JSON.parse(this.writeJson(new Map())) as ChatSummary;
  }
}

/**
 * The JSON array of `values`, in pieces of about `pieceChars` characters (one piece when
 * unbounded): their texts joined, each object they share written once.
 */
export function writeJsonArray(values: readonly WritesJson[], pieceChars = Infinity): string[] {
  const written = new Map<object, string>();
  const pieces: string[] = [];
  let piece = '[';
  for (let i = 0; i < values.length; i++) {
    const json = values[i]!.writeJson(written);
    piece = i === 0 ? piece + json : `${piece},${json}`;
    if (piece.length >= pieceChars) {
      pieces.push(piece);
      piece = '';
    }
  }
  pieces.push(`${piece}]`);
  return pieces;
}

/** The JSON of an answer carrying a chat list (GET /chats), its chats written as text. */
export function chatListJson(answer: { chats: readonly ChatSummaryText[]; [other: string]: unknown }): string {
  const { chats, ...others } = answer;
  const list = writeJsonArray(chats).join('');
  const rest = JSON.stringify(others);
  return rest === '{}' ? `{"chats":${list}}` : `${rest.slice(0, -1)},"chats":${list}}`;
}
