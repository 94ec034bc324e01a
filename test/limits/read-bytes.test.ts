import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { api, ask, connect, createChat, registerUser, useServer, type TestUser } from '../helpers/server.js';
import { sendOk } from '../helpers/socket-fixtures.js';
import { expectRateLimited } from './rate-limit-answer.js';

/**
 * Issue 17 §2–3: reads are paid for by weight as well as by count. Ten pages of 1.6 MB a second
 * fit within the count of reads and would stall everyone else, so a user's answers of big pages take
 * from RATE_LIMIT_READ_BYTES_PER_SECOND, and their next reads — on any socket, or over HTTP — are
 * refused until what the answer weighed past the second's allowance is paid off at that rate.
 * Small answers are left to the count. Counts refusals and reads retry hints; never measures time.
 */
const BYTES_PER_SECOND = 16 * 1024;
const BIG_TEXT = 'ж'.repeat(4000); // 4,000 characters, as long as a message may be
const BIG_MESSAGES = 12; // a page of them weighs ~96 KB (ж is two bytes): past the second's 16 KiB
/** The excess of such a page (~80 KiB) takes about 5 s to pay off at 16 KiB/s, on top of the second. */
const MAX_RETRY_MS = 10_000;
/** A hint beyond the current second shows that the excess is carried over, not forgiven. */
const MIN_DEBT_RETRY_MS = 2_000;

describe('answer bytes per user', () => {
  const server = useServer({ RATE_LIMIT_READ_BYTES_PER_SECOND: String(BYTES_PER_SECOND) });

  /** A chat of three users holding BIG_MESSAGES messages of 4,000 characters. */
  async function bigChat(): Promise<{ chatId: string; users: [TestUser, TestUser, TestUser] }> {
    const users = await Promise.all([
      registerUser(server, 'rb'),
      registerUser(server, 'rb'),
      registerUser(server, 'rb'),
    ]);
    const chatId = await createChat(server, users[0], [users[1], users[2]]);
    const writer = await connect(server, users[0].token);
    for (let i = 0; i < BIG_MESSAGES; i++) await sendOk(writer, chatId, BIG_TEXT);
    writer.disconnect();
    return { chatId, users };
  }

  it('refuses the next reads of a user whose big answer passed the allowance, on every socket, until its excess is paid off, and not another user’s', async () => {
    const { chatId, users } = await bigChat();
    const [reader, other] = [users[1], users[2]];
    const [first, second] = [await connect(server, reader.token), await connect(server, reader.token)];
    // Small answers are not weighed: many of them pass.
    for (let i = 0; i < 5; i++)
      expect(await ask(first, 'get_chat_messages', { chatId, limit: 1 })).toMatchObject({ success: true });

    const page = await ask(first, 'get_chat_messages', { chatId, limit: 100 });
    expect(page).toMatchObject({ success: true });
    expect(page.messages).toHaveLength(BIG_MESSAGES);
    const refused = await ask(second, 'get_chat_messages', { chatId, limit: 1 });
    expectRateLimited(refused, RATE_LIMIT_TEXTS.reads, MAX_RETRY_MS);
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(MIN_DEBT_RETRY_MS);
    expectRateLimited(await ask(first, 'get_my_chats'), RATE_LIMIT_TEXTS.reads, MAX_RETRY_MS);
    const overHttp = await api(server, 'GET', `/chats/${chatId}/messages?limit=1`, { token: reader.token });
    expect(overHttp.status).toBe(429);
    expect(overHttp.body).toMatchObject({ success: false, code: 'RATE_LIMITED', error: RATE_LIMIT_TEXTS.reads });
    // Writes are not reads: the same user may still send.
    expect(await ask(second, 'send_message', { chatId, text: 'still here' })).toMatchObject({ success: true });

    const otherSocket = await connect(server, other.token);
    expect(await ask(otherSocket, 'get_chat_messages', { chatId, limit: 100 })).toMatchObject({ success: true });
  });

  it('weighs big HTTP answers too', async () => {
    const { chatId, users } = await bigChat();
    const reader = users[1];
    const page = await api(server, 'GET', `/chats/${chatId}/messages?limit=100`, { token: reader.token });
    expect(page.status).toBe(200);
    expect(page.body.messages).toHaveLength(BIG_MESSAGES);
    // The charge is taken once the response is sent: ask until it shows (a few requests at most).
    let refused;
    for (let i = 0; i < 5 && !refused; i++) {
      const next = await api(server, 'GET', `/chats/${chatId}/messages?limit=1`, { token: reader.token });
      if (next.status === 429) refused = next;
      else expect(next.status).toBe(200);
    }
    expect(refused?.body).toMatchObject({ success: false, code: 'RATE_LIMITED', error: RATE_LIMIT_TEXTS.reads });
    const socket = await connect(server, reader.token);
    expectRateLimited(await ask(socket, 'get_my_chats'), RATE_LIMIT_TEXTS.reads, MAX_RETRY_MS);
  });
});
