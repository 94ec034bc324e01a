import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { ask, collect, connect, sleep, useServer } from '../helpers/server.js';
import { chatPair, QUIET_MS, sendOk } from '../helpers/socket-fixtures.js';
import { expectRateLimited, tally } from './rate-limit-answer.js';

/**
 * Issue 17 §2: mark_read (a write that locks the chat and tells every member) and typing /
 * stop_typing (a membership check and a broadcast) each have a budget per user, with the message
 * figures (RATE_LIMIT_MESSAGES_PER_SECOND, burst RATE_LIMIT_MESSAGE_BURST), apart from sends: a
 * client that marks read as messages arrive still writes. Counts refusals; never measures time.
 */
const PER_SECOND = 2;
const BURST = 5;
const MAX_PASSING = BURST + PER_SECOND;
const MAX_RETRY_MS = 10_000;

describe('mark_read and typing per user', () => {
  const server = useServer({
    RATE_LIMIT_MESSAGES_PER_SECOND: String(PER_SECOND),
    RATE_LIMIT_MESSAGE_BURST: String(BURST),
  });

  it('refuses mark_read past the burst from all the sockets of the user; sends are another budget', async () => {
    const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const message = await sendOk(bobSocket, chatId, 'read me');
    const aliceSecond = await connect(server, alice.token);
    const answers = await Promise.all(
      [aliceSocket, aliceSecond].flatMap((socket) =>
        Array.from({ length: 8 }, () => ask(socket, 'mark_read', { chatId, messageId: message.id })),
      ),
    );
    const { ok, refused } = tally(answers);
    expect(ok).toBeGreaterThanOrEqual(BURST);
    expect(ok).toBeLessThanOrEqual(MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.markRead, MAX_RETRY_MS);
    await sendOk(aliceSocket, chatId, 'still sending');
  });

  it('counts malformed mark_reads and those of chats that are not the user’s', async () => {
    const { chatId, aliceSocket } = await chatPair(server);
    const other = await chatPair(server);
    const foreign = await sendOk(other.aliceSocket, other.chatId, 'not for you');
    const payloads = [
      { chatId, messageId: 42 },
      { chatId },
      { chatId: other.chatId, messageId: foreign.id },
      { chatId, messageId: foreign.id },
    ];
    const answers = await Promise.all(
      [...payloads, ...payloads, ...payloads].map((payload) => ask(aliceSocket, 'mark_read', payload)),
    );
    const refused = answers.filter((answer) => answer.code === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(answers.length - MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.markRead, MAX_RETRY_MS);
    for (const answer of answers.filter((a) => a.code !== 'RATE_LIMITED'))
      expect(['VALIDATION_ERROR', 'FORBIDDEN', 'NOT_FOUND']).toContain(answer.code);
  });

  it('refuses typing and stop_typing past the burst, broadcasting only what was accepted, and no other user', async () => {
    const { alice, chatId, aliceSocket, bobSocket } = await chatPair(server, { join: true });
    const aliceSecond = await connect(server, alice.token);
    const seenByBob = collect(bobSocket, 'user_typing');
    const answers = await Promise.all(
      [aliceSocket, aliceSecond].flatMap((socket) => [
        ...Array.from({ length: 5 }, () => ask(socket, 'typing', { chatId })),
        ...Array.from({ length: 5 }, () => ask(socket, 'stop_typing', { chatId })),
        ask(socket, 'typing', { chatId: 42 }),
        ask(socket, 'typing', {}),
      ]),
    );
    const refused = answers.filter((answer) => answer.code === 'RATE_LIMITED');
    expect(answers.length - refused.length).toBeLessThanOrEqual(MAX_PASSING);
    for (const answer of refused) expectRateLimited(answer, RATE_LIMIT_TEXTS.typing, MAX_RETRY_MS);
    await sleep(QUIET_MS);
    // Each accepted typing or stop_typing announces at most once.
    expect(seenByBob.length).toBeLessThanOrEqual(answers.length - refused.length);
    // Bob's typing is his own budget.
    expect(await ask(bobSocket, 'typing', { chatId })).toStrictEqual({ success: true });
  });
});
