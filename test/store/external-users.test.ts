import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ExternalUserClaims } from '../../src/store/users.js';
import { storeTargets, useStore } from '../helpers/stores.js';

/** Store.findOrCreateExternalUser: users from an external identity provider, on every store. */
describe.each(storeTargets)('external users on $name', (target) => {
  const opened = useStore(target);

  const tag = () => randomUUID().slice(0, 8);
  const identity = (prefix = 'ext') => {
    const t = tag();
    return { externalId: `idp|${randomUUID()}`, email: `${prefix}-${t}@idp.example`, username: `${prefix}_${t}` };
  };
  /** The subject's live user (found or created). */
  const findOrCreate = async (claims: ExternalUserClaims) => {
    const account = await opened.store.users.findOrCreateExternalUser(claims);
    if (!account) throw new Error(`no live user for ${claims.externalId}`);
    return account.user;
  };
  const rowsFor = (externalId: string) =>
    opened.db.query<{ id: string; password_hash: string | null }>(
      'SELECT id, password_hash FROM users WHERE external_id = $1',
      [externalId],
    );
  const VALID_USERNAME = /^[\p{L}\p{N}_.-]{3,32}$/u;

  it('creates the user from the claims on first sight, with a uuid id and no password; then finds it', async () => {
    const claims = identity();
    const user = await findOrCreate(claims);
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: claims.email,
      username: claims.username,
    });
    expect(await findOrCreate({ externalId: claims.externalId })).toEqual(user);
    expect(await opened.store.users.findUserById(user.id)).toEqual(user);
    expect(await rowsFor(claims.externalId)).toEqual([{ id: user.id, password_hash: null }]);
    // It cannot log in with a password.
    expect((await opened.store.users.findUserForLogin({ email: claims.email }))?.passwordHash).toBeNull();
  });

  it('concurrent first sights of one subject create exactly one user', async () => {
    const claims = identity('race');
    const users = await Promise.all(Array.from({ length: 20 }, () => findOrCreate(claims)));
    expect(new Set(users.map((user) => user.id)).size).toBe(1);
    expect(users[0]).toEqual({ id: users[0]!.id, email: claims.email, username: claims.username });
    expect(await rowsFor(claims.externalId)).toHaveLength(1);
  });

  it('concurrent first sights of different subjects claiming one username all get a unique valid one', async () => {
    const name = `same_${tag()}`;
    const subjects = Array.from({ length: 8 }, () => ({ ...identity('many'), username: name }));
    const users = await Promise.all(subjects.map((claims) => findOrCreate(claims)));
    expect(new Set(users.map((user) => user.id)).size).toBe(subjects.length);
    expect(new Set(users.map((user) => user.username.toLowerCase())).size).toBe(subjects.length);
    expect(users.filter((user) => user.username === name)).toHaveLength(1);
    for (const user of users) expect(user.username).toMatch(VALID_USERNAME);
  });

  it('a username taken by a local user (any case) is suffixed; an email taken is replaced by a placeholder', async () => {
    const local = await opened.store.users.createUser({ ...identity('local'), passwordHash: 'x' });
    const claims = { ...identity('ext'), username: local.username.toUpperCase(), email: local.email };
    const user = await findOrCreate(claims);
    expect(user.id).not.toBe(local.id);
    expect(user.username).toMatch(VALID_USERNAME);
    expect(user.username.toLowerCase().startsWith(local.username.toLowerCase())).toBe(true);
    expect(user.username.toLowerCase()).not.toBe(local.username.toLowerCase());
    expect(user.email).toMatch(/^[0-9a-f]{24}@external\.invalid$/);
    // The local account is untouched.
    expect(await opened.store.users.findUserById(local.id)).toEqual(local);
  });

  it('missing or invalid claims still give a valid user', async () => {
    const bare = await findOrCreate({ externalId: `idp|${randomUUID()}` });
    expect(bare.username).toMatch(/^user_[0-9a-f]{10}$/);
    expect(bare.email).toMatch(/@external\.invalid$/);

    const t = tag();
    const fromEmail = await findOrCreate({ externalId: `idp|${randomUUID()}`, email: `Mail.${t}@Idp.Example` });
    expect(fromEmail).toMatchObject({ email: `mail.${t}@idp.example`, username: `Mail.${t}` });

    const messy = await findOrCreate({
      externalId: `idp|${randomUUID()}`,
      email: 'not an email',
      username: `  ${'Ж'.repeat(40)}${t} <b>`,
    });
    expect(messy.username).toMatch(VALID_USERNAME);
    expect(messy.email).toMatch(/@external\.invalid$/);
  });

  it('an external subject that happens to look like a local user id is not that user', async () => {
    const local = await opened.store.users.createUser({ ...identity('uuid'), passwordHash: 'x' });
    const user = await findOrCreate({ externalId: local.id, email: `other-${tag()}@idp.example` });
    expect(user.id).not.toBe(local.id);
  });

  it('a deleted account’s subject stays retired: it finds nobody and is not created again', async () => {
    const claims = identity('gone');
    const user = await findOrCreate(claims);
    expect(await opened.store.users.deleteAccount(user.id)).toBeDefined();
    expect(await opened.store.users.findOrCreateExternalUser(claims)).toBeUndefined();
    expect(await opened.store.users.findOrCreateExternalUser({ externalId: claims.externalId })).toBeUndefined();
    expect(await rowsFor(claims.externalId)).toEqual([{ id: user.id, password_hash: null }]);
    // Its email and username are free again, for another subject.
    expect(await findOrCreate({ ...identity('next'), email: claims.email, username: claims.username })).toMatchObject({
      email: claims.email,
      username: claims.username,
    });
  });
});
