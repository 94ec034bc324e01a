import { describe, expect, it } from 'vitest';
import { TEXTS } from '../../src/errors.js';
import { connect, createChat, registerUser, useServer } from '../helpers/server.js';

/**
 * The event rate limit bounds how fast a socket sends, not how much work it leaves waiting: a
 * socket that fires events without waiting for answers gets RATE_LIMITED past 32 unanswered ones,
 * instead of piling work up behind a slow database.
 */
describe('events in flight per socket', () => {
  const server = useServer();

  it('refuses events past 32 unanswered ones with RATE_LIMITED, and serves the socket again once answered', async () => {
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const chatId = await createChat(server, alice, [bob]);
    const socket = await connect(server, alice.token);
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => socket.timeout(10_000).emitWithAck('get_my_chats') as Promise<any>),
    );
    const refused = answers.filter((a) => !a.success);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer).toEqual({ success: false, code: 'RATE_LIMITED', error: TEXTS.tooManyInFlight, retryAfterMs: 1_000 });
    }
    expect(answers.filter((a) => a.success).length).toBeGreaterThanOrEqual(32);
    // Nothing is left running: the socket is served normally again.
    const later = (await socket.timeout(5_000).emitWithAck('send_message', { chatId, text: 'still here' })) as any;
    expect(later.success).toBe(true);
  });
});
