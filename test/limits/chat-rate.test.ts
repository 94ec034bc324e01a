import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import { api, registerUser, useServer } from '../helpers/server.js';
import { expectRateLimited } from './rate-limit-answer.js';

/**
 * Creating chats and adding members puts other users into chats without asking them, so one user
 * could otherwise fill everybody's chat list (and make get_my_chats arbitrarily heavy).
 */
describe('POST /chats and POST /chats/:id/members per user', () => {
  const LIMIT = 4;
  const server = useServer({ RATE_LIMIT_CHATS_PER_MINUTE: String(LIMIT) });

  it('answers 429 RATE_LIMITED past the limit, counting both routes, and only for that user', async () => {
    const [spammer, bystander, ...victims] = await Promise.all(
      Array.from({ length: 8 }, (_, i) => registerUser(server, `chatrate${i}`)),
    );
    const create = (owner: typeof spammer, others: (typeof spammer)[], name: string) =>
      api(server, 'POST', '/chats', { token: owner!.token, body: { userIds: others.map((o) => o!.user.id), name } });

    const group = await create(spammer, [victims[0]], 'first');
    expect(group.status).toBe(201);
    for (let i = 1; i < LIMIT - 1; i++) expect((await create(spammer, [victims[i]], `g${i}`)).status).toBe(201);
    const added = await api(server, 'POST', `/chats/${group.body.chat.id}/members`, {
      token: spammer!.token,
      body: { userIds: [victims[5]!.user.id] },
    });
    expect(added.status).toBe(200);

    const refused = await create(spammer, [victims[4]], 'one too many');
    expect(refused.status).toBe(429);
    expectRateLimited(refused.body, RATE_LIMIT_TEXTS.chats, 60_000);
    const refusedAdd = await api(server, 'POST', `/chats/${group.body.chat.id}/members`, {
      token: spammer!.token,
      body: { userIds: [victims[4]!.user.id] },
    });
    expect(refusedAdd.status).toBe(429);
    // Nothing was created for the refused requests.
    const victimChats = await api(server, 'GET', '/chats', { token: victims[4]!.token });
    expect(victimChats.body.chats).toEqual([]);

    expect((await create(bystander, [victims[4]], 'unaffected')).status).toBe(201);
  });
});
