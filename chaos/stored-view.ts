import type pg from 'pg';
import type { Message } from '../src/protocol/types.js';
import type { ChaosClient } from './chaos-client.js';
import { rel, type RunContext } from './run-context.js';

/** A message as the database holds it, read straight from the `messages` table. */
export interface StoredMessage {
  id: string;
  chatId: string;
  text: string;
  seq: number;
  version: number;
  createdAt: string;
  deletedAt: string | undefined;
  clientMessageId: string | null;
}

/** Per chat: message id → stored message. */
export type StoredChats = Map<string, Map<string, StoredMessage>>;

export async function readStored(db: pg.Client, chatIds: string[]): Promise<StoredChats> {
  const { rows } = await db.query<{
    id: string;
    chat_id: string;
    text: string;
    seq: string;
    version: string;
    created_at: Date;
    deleted_at: Date | null;
    client_message_id: string | null;
  }>(
    `SELECT id, chat_id, text, seq, version, created_at, deleted_at, client_message_id
       FROM messages WHERE chat_id = ANY($1::uuid[])`,
    [chatIds],
  );
  const byChat: StoredChats = new Map(chatIds.map((id) => [id, new Map<string, StoredMessage>()]));
  for (const row of rows) {
    byChat.get(row.chat_id)!.set(row.id, {
      id: row.id,
      chatId: row.chat_id,
      text: row.text,
      seq: Number(row.seq),
      version: Number(row.version),
      createdAt: row.created_at.toISOString(),
      deletedAt: row.deleted_at ? row.deleted_at.toISOString() : undefined,
      clientMessageId: row.client_message_id,
    });
  }
  return byChat;
}

/** Each chat's message count and highest version: equal fingerprints mean nothing was committed in between. */
export function storedFingerprint(stored: StoredChats): string {
  return [...stored.values()]
    .map((m) => `${m.size}:${Math.max(0, ...[...m.values()].map((x) => x.version))}`)
    .join('|');
}

interface ViewDiff {
  missing: StoredMessage[];
  stale: { stored: StoredMessage; seen: Message }[];
  extra: Message[];
}

/** Which stored messages a view lacks or holds in another state (version, text, deletedAt), and which it has that are not stored. */
function compareView(view: Map<string, Message>, stored: Map<string, StoredMessage>): ViewDiff {
  const diff: ViewDiff = { missing: [], stale: [], extra: [] };
  for (const message of stored.values()) {
    const seen = view.get(message.id);
    if (!seen) diff.missing.push(message);
    else if (
      seen.version !== message.version ||
      seen.text !== message.text ||
      (seen.deletedAt ?? undefined) !== message.deletedAt
    ) {
      diff.stale.push({ stored: message, seen });
    }
  }
  for (const seen of view.values()) if (!stored.has(seen.id)) diff.extra.push(seen);
  return diff;
}

/** The client's chats whose view differs from the database, with how. */
function* differingViews(client: ChaosClient, stored: StoredChats): Generator<{ chatId: string; diff: ViewDiff }> {
  for (const chatId of client.chats) {
    const diff = compareView(client.view.get(chatId)!, stored.get(chatId)!);
    if (diff.missing.length > 0 || diff.stale.length > 0 || diff.extra.length > 0) yield { chatId, diff };
  }
}

/** missedAtEnd: the views of the clients connected at the end, as live events and reconnects left them. */
export function viewsBeforeFinalSync(clients: ChaosClient[], stored: StoredChats, ctx: RunContext) {
  let missedAtEnd = 0;
  const missedMessages = { missing: 0, stale: 0, extra: 0 };
  for (const client of clients) {
    for (const { chatId, diff } of differingViews(client, stored)) {
      missedAtEnd++;
      missedMessages.missing += diff.missing.length;
      missedMessages.stale += diff.stale.length;
      missedMessages.extra += diff.extra.length;
      const track = client.live.get(chatId);
      ctx.examples.add('missedAtEnd', {
        client: client.index,
        node: client.slot?.name,
        chatId,
        connectedSince: rel(ctx, client.readyAt),
        heldVersion: client.held.get(chatId),
        lastLiveVersion: track?.last,
        databaseVersion: Math.max(0, ...[...stored.get(chatId)!.values()].map((m) => m.version)),
        missing: diff.missing
          .slice(0, 5)
          .map((m) => ({ id: m.id, seq: m.seq, version: m.version, createdAt: m.createdAt, deleted: !!m.deletedAt })),
        stale: diff.stale.slice(0, 5).map((s) => ({
          id: s.stored.id,
          seq: s.stored.seq,
          storedVersion: s.stored.version,
          seenVersion: s.seen.version,
        })),
        extra: diff.extra.slice(0, 5).map((m) => ({ id: m.id, version: m.version })),
        counts: { missing: diff.missing.length, stale: diff.stale.length, extra: diff.extra.length },
      });
    }
  }
  return { missedAtEnd, missedMessages };
}

/** finalViewMismatches: each client syncs from the versions it holds, then its views are compared again. */
export async function viewsAfterFinalSync(
  clients: ChaosClient[],
  stored: StoredChats,
  ctx: RunContext,
): Promise<number> {
  let finalViewMismatches = 0;
  for (const client of clients) {
    try {
      await client.sync(client.socket!, client.chats);
    } catch (error) {
      ctx.examples.add('finalSyncFailed', { client: client.index, error: String(error) });
    }
    for (const { chatId, diff } of differingViews(client, stored)) {
      finalViewMismatches++;
      ctx.examples.add('finalViewMismatches', {
        client: client.index,
        node: client.slot?.name,
        chatId,
        heldVersion: client.held.get(chatId),
        missing: diff.missing.slice(0, 5).map((m) => ({ id: m.id, seq: m.seq, version: m.version })),
        stale: diff.stale
          .slice(0, 5)
          .map((s) => ({ id: s.stored.id, storedVersion: s.stored.version, seenVersion: s.seen.version })),
        extra: diff.extra.slice(0, 5).map((m) => ({ id: m.id, version: m.version })),
      });
    }
  }
  return finalViewMismatches;
}
