import { describe, expect, it } from 'vitest';
import type { Message } from '../src/protocol/types.js';
import { serverEnvFor, storeTargets } from './helpers/stores.js';
import { ask, collect, connect, createChat, registerUser, useServer } from './helpers/server.js';

/**
 * Contract §3: a chat's messages have one order, the commit order, followed by every history page
 * and by every new_message. Run on every store, because only a server with real concurrent
 * transactions (PostgreSQL) can finish commits out of order.
 */
describe.each(storeTargets.map((t) => t.name))('message order on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  it('new_message arrives in history order under a burst of concurrent sends from many sockets', async () => {
    const users = await Promise.all([0, 1, 2, 3].map((i) => registerUser(server, `burst${i}`)));
    const chatId = await createChat(server, users[0]!, users.slice(1), 'burst');
    const senders = await Promise.all([...users, ...users, ...users].map((u) => connect(server, u.token)));
    const observer = await connect(server, users[3]!.token);
    await ask(observer, 'join_chat', { chatId });
    const arrived = collect<Message>(observer, 'new_message');

    const total = 300;
    const answers = await Promise.all(
      Array.from({ length: total }, (_, i) =>
        ask(senders[i % senders.length]!, 'send_message', { chatId, text: `m${i}` }),
      ),
    );
    expect(answers.every((a) => a.success)).toBe(true);

    const history: Message[] = [];
    let page = await ask(observer, 'get_chat_messages', { chatId, limit: 100 });
    history.unshift(...page.messages);
    while (page.hasMore) {
      page = await ask(observer, 'get_chat_messages', { chatId, limit: 100, before: history[0]!.id });
      history.unshift(...page.messages);
    }
    expect(history).toHaveLength(total);
    for (let i = 1; i < history.length; i++) expect(history[i]!.createdAt > history[i - 1]!.createdAt).toBe(true);
    // Every ack came before the last delivery could be missing; wait for the stragglers.
    for (let waited = 0; arrived.length < total && waited < 5_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    expect(arrived.map((m) => m.id)).toEqual(history.map((m) => m.id));
  });
});
