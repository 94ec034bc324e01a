import { ask, closeAll, connectClient } from '../clients.js';
import { now, summarize, type LatencySummary } from '../stats.js';
import type { Target } from '../targets.js';

/** get_chat_messages pages (before = each cursor, i.e. at random depths), one at a time. */
export async function historyPages(target: Target, token: string, chatId: string, cursorIds: string[]): Promise<LatencySummary> {
  const socket = await connectClient(target.url, token);
  const latencies: number[] = [];
  try {
    await ask(socket, 'get_chat_messages', { chatId }); // warm-up
    for (const before of cursorIds) {
      const t0 = now();
      const page = await ask<{ messages: unknown[] }>(socket, 'get_chat_messages', { chatId, before, limit: 50 });
      latencies.push(now() - t0);
      if (page.messages.length === 0) throw new Error('empty history page');
    }
  } finally {
    closeAll([socket]);
  }
  return summarize(latencies);
}

/** get_my_chats, `repeat` times, for a user in many chats. */
export async function chatList(target: Target, token: string, repeat: number, expectChats: number): Promise<LatencySummary> {
  const socket = await connectClient(target.url, token);
  const latencies: number[] = [];
  try {
    await ask(socket, 'get_my_chats'); // warm-up, as for history: the first answer compiles and plans
    for (let i = 0; i < repeat; i++) {
      const t0 = now();
      const answer = await ask<{ chats: unknown[] }>(socket, 'get_my_chats');
      latencies.push(now() - t0);
      if (answer.chats.length !== expectChats) throw new Error(`expected ${expectChats} chats, got ${answer.chats.length}`);
    }
  } finally {
    closeAll([socket]);
  }
  return summarize(latencies);
}
