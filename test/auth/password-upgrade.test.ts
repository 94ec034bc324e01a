import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/auth/passwords.js';
import { expectError, newCredentials } from '../helpers/http-envelope.js';
import { api, startServer, type TestServer } from '../helpers/server.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/**
 * README "Security": passwords are hashed at OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1) by
 * default, and a hash of older parameters — such as N = 2^15, which databases of earlier Parley
 * versions hold — is replaced at the user's next successful login. These servers run the production cost.
 */
const CURRENT = /^scrypt\$17\$8\$1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;
/** Hashes with the older, cheaper parameters: N = 2^15. */
const olderParley = new PasswordHasher({ log2N: 15, concurrency: 1 });

describe.each(storeTargets)('password hashes on $name', (target) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ...serverEnvFor(target.name), PASSWORD_SCRYPT_LOG2_N: '17' });
  });
  afterAll(async () => {
    await server.close();
  });

  const storedHash = async (email: string) => (await server.app.store.users.findUserForLogin({ email }))?.passwordHash;

  /** An account whose password hash has N = 2^15. */
  async function olderAccount(prefix: string) {
    const credentials = newCredentials(prefix);
    const passwordHash = await olderParley.hash(credentials.password);
    expect(passwordHash.startsWith('scrypt$15$8$1$')).toBe(true);
    const user = await server.app.store.users.createUser({
      email: credentials.email,
      username: credentials.username,
      passwordHash,
    });
    return { ...credentials, user, passwordHash };
  }

  describe('POST /auth/register', () => {
    it('stores the password with N = 2^17, r = 8, p = 1', async () => {
      const credentials = newCredentials('fresh');
      expect((await api(server, 'POST', '/auth/register', { body: credentials })).status).toBe(201);
      expect(await storedHash(credentials.email)).toMatch(CURRENT);
    });
  });

  describe('POST /auth/login', () => {
    it('logs in with a hash of the older parameters and rewrites it with the current ones', async () => {
      const account = await olderAccount('old');
      const response = await api(server, 'POST', '/auth/login', {
        body: { email: account.email, password: account.password },
      });
      expect(response.status).toBe(200);
      expect(response.body.user).toEqual(account.user);
      const upgraded = await storedHash(account.email);
      expect(upgraded).toMatch(CURRENT);
      // The new hash is of the same password: the next login (by username this time) works, and
      // leaves a current hash as it is.
      const again = await api(server, 'POST', '/auth/login', {
        body: { username: account.username, password: account.password },
      });
      expect(again.status).toBe(200);
      expect(await storedHash(account.email)).toBe(upgraded);
    });

    it('leaves an old hash alone when the password is wrong', async () => {
      const account = await olderAccount('wrong');
      const response = await api(server, 'POST', '/auth/login', {
        body: { email: account.email, password: `${account.password}x` },
      });
      expectError(response, 401, 'UNAUTHORIZED', 'Неверный email или пароль');
      expect(await storedHash(account.email)).toBe(account.passwordHash);
    });
  });
});
