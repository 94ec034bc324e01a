import type pg from 'pg';
import { EXAMPLES_KEPT } from './helpers.js';
import { rel, type RunContext } from './run-context.js';
import type { StoredChats, StoredMessage } from './stored-view.js';

/** What the clients recorded during the run (acknowledgements, jumps in live versions) against the stored messages. */

/** lost, ackIdMismatches, duplicated, storedNotAcked and the stored count, over the run's chats. */
export async function checkAcks(db: pg.Client, chatIds: string[], stored: StoredChats, ctx: RunContext) {
  const { examples } = ctx;
  const storedById = new Map<string, StoredMessage>();
  const storedByClientId = new Map<string, StoredMessage[]>();
  for (const messages of stored.values()) {
    for (const message of messages.values()) {
      storedById.set(message.id, message);
      if (message.clientMessageId) {
        const list = storedByClientId.get(message.clientMessageId) ?? [];
        list.push(message);
        storedByClientId.set(message.clientMessageId, list);
      }
    }
  }
  let lost = 0;
  let ackIdMismatches = 0;
  const ackedClientIds = new Set<string>();
  for (const ack of ctx.acks) {
    ackedClientIds.add(ack.clientMessageId);
    if (!storedById.has(ack.id)) {
      lost++;
      examples.add('lost', {
        ...ack,
        emitAt: rel(ctx, ack.emitAt),
        ackAt: rel(ctx, ack.ackAt),
        storedUnderClientId: storedByClientId.get(ack.clientMessageId)?.map((m) => m.id),
      });
    } else if (storedById.get(ack.id)!.clientMessageId !== ack.clientMessageId) {
      ackIdMismatches++;
      examples.add('ackIdMismatches', { ...ack, storedClientMessageId: storedById.get(ack.id)!.clientMessageId });
    }
  }
  const duplicates = await db.query<{ client_message_id: string; count: string }>(
    `SELECT client_message_id, count(*) FROM messages WHERE chat_id = ANY($1::uuid[]) AND client_message_id IS NOT NULL
      GROUP BY 1 HAVING count(*) > 1`,
    [chatIds],
  );
  for (const row of duplicates.rows.slice(0, EXAMPLES_KEPT)) {
    examples.add('duplicated', {
      clientMessageId: row.client_message_id,
      count: Number(row.count),
      ids: storedByClientId.get(row.client_message_id)?.map((m) => m.id),
    });
  }
  let storedCount = 0;
  let storedNotAcked = 0;
  for (const messages of stored.values()) {
    storedCount += messages.size;
    for (const message of messages.values()) {
      if (message.clientMessageId && !ackedClientIds.has(message.clientMessageId)) {
        storedNotAcked++;
        examples.add('storedNotAcked', {
          id: message.id,
          chatId: message.chatId,
          clientMessageId: message.clientMessageId,
          version: message.version,
        });
      }
    }
  }
  return { stored: storedCount, lost, duplicated: duplicates.rows.length, ackIdMismatches, storedNotAcked };
}

/** Jumps in live versions: skipped versions that are still some message's current state were missed live. */
export function checkLiveGaps(stored: StoredChats, ctx: RunContext) {
  const versionsByChat = new Map<string, { version: number; id: string; seq: number }[]>();
  for (const [chatId, messages] of stored) {
    versionsByChat.set(
      chatId,
      [...messages.values()]
        .map((m) => ({ version: m.version, id: m.id, seq: m.seq }))
        .sort((a, b) => a.version - b.version),
    );
  }
  let gapsSuperseded = 0;
  let liveMissed = 0;
  for (const gap of ctx.gaps) {
    const skipped = (versionsByChat.get(gap.chatId) ?? []).filter((m) => m.version > gap.from && m.version < gap.to);
    if (skipped.length === 0) {
      gapsSuperseded++;
      continue;
    }
    liveMissed += skipped.length;
    ctx.examples.add('liveMissed', { ...gap, skippedStillCurrent: skipped.slice(0, 5) });
  }
  return { gapsSuperseded, liveMissed };
}
