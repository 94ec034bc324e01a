import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config.js';
import { RateLimitedError } from '../../src/limits/rate-limited-error.js';
import { TEST_SCRYPT_LOG2_N } from '../helpers/server.js';

/** `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (contract §2: a memory-hard KDF, never the password). */
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** What the servers of the other suites use: the format and checks are the same at any cost. */
const quick = new PasswordHasher({ log2N: TEST_SCRYPT_LOG2_N, concurrency: 2 });

describe('password hashing', () => {
  it('by default stores scrypt at OWASP’s minimum or above (N = 2^17, r = 8, p = 1), a 16-byte salt and a 32-byte key', async () => {
    const stored = await new PasswordHasher(loadConfig({}).passwords).hash('correct horse battery staple');
    const match = FORMAT.exec(stored);
    expect(match).not.toBeNull();
    const [, log2N, r, p, salt, key] = match!;
    expect(Number(log2N)).toBeGreaterThanOrEqual(17); // 128 MiB of memory with r = 8
    expect(Number(r)).toBeGreaterThanOrEqual(8);
    expect(Number(p)).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
    expect(stored).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await quick.hash('s3cret-пароль');
    expect(await quick.verify('s3cret-пароль', stored)).toBe(true);
    expect(await quick.verify('s3cret-пароль ', stored)).toBe(false);
    expect(await quick.verify('S3cret-пароль', stored)).toBe(false);
    expect(await quick.verify('', stored)).toBe(false);
  });

  it('salts: two hashes of one password differ, and both verify', async () => {
    const [first, second] = await Promise.all([quick.hash('same password'), quick.hash('same password')]);
    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect(await quick.verify('same password', first)).toBe(true);
    expect(await quick.verify('same password', second)).toBe(true);
  });

  it('a tampered hash or salt no longer verifies', async () => {
    const stored = await quick.hash('tamper me');
    const parts = stored.split('$');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64');
    };
    const badKey = [...parts.slice(0, 5), flip(parts[5]!)].join('$');
    const badSalt = [...parts.slice(0, 4), flip(parts[4]!), parts[5]].join('$');
    const shortKey = [...parts.slice(0, 5), Buffer.from(parts[5]!, 'base64').subarray(0, 16).toString('base64')].join(
      '$',
    );
    expect(await quick.verify('tamper me', badKey)).toBe(false);
    expect(await quick.verify('tamper me', badSalt)).toBe(false);
    expect(await quick.verify('tamper me', shortKey)).toBe(false);
  });

  it('an unknown scheme or a malformed record is false, not a match', async () => {
    const stored = await quick.hash('pw');
    const rest = stored.split('$').slice(1).join('$');
    expect(await quick.verify('pw', `bcrypt$${rest}`)).toBe(false);
    expect(await quick.verify('pw', `SCRYPT$${rest}`)).toBe(false);
    expect(await quick.verify('pw', 'pw')).toBe(false);
    expect(await quick.verify('pw', '')).toBe(false);
    expect(await quick.verify('pw', 'scrypt$15$8$1$$')).toBe(false);
  });

  it('cost parameters scrypt refuses, or that would take over 1 GiB or 16 passes, give false rather than an error', async () => {
    const [, , , , salt, key] = (await quick.hash('pw')).split('$');
    for (const cost of ['abc$8$1', '40$8$1', '15$0$1', '$$', '21$8$1', '20$16$1', '10$8$1000', '0$8$1', '10.5$8$1']) {
      await expect(quick.verify('pw', `scrypt$${cost}$${salt}$${key}`)).resolves.toBe(false);
    }
  });

  it('a hash of other parameters still verifies, and is reported for rehashing', async () => {
    const older = new PasswordHasher({ log2N: TEST_SCRYPT_LOG2_N - 1, concurrency: 1 });
    const old = await older.hash('upgrade me');
    expect(await quick.verify('upgrade me', old)).toBe(true);
    expect(quick.needsRehash(old)).toBe(true);
    expect(quick.needsRehash(await quick.hash('upgrade me'))).toBe(false);
    expect(quick.needsRehash('not a hash')).toBe(true);
  });

  it('compares Unicode passwords in one normal form (é typed two ways)', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    const stored = await quick.hash(composed);
    expect(await quick.verify(decomposed, stored)).toBe(true);
  });

  it('the decoy hash is a real hash that the empty password does not match', async () => {
    const decoy = await quick.decoyHash();
    expect(decoy).toMatch(FORMAT);
    expect(await quick.decoyHash()).toBe(decoy);
    expect(await quick.verify('', decoy)).toBe(false);
  });

  it('past `concurrency` running and 16 per slot waiting, a hash is refused with RATE_LIMITED instead of queueing', async () => {
    const hasher = new PasswordHasher({ log2N: TEST_SCRYPT_LOG2_N, concurrency: 2 });
    const stored = await hasher.hash('pw');
    // None of these can finish before the loop ends: scrypt answers from the thread pool, on a later turn.
    const admitted = Array.from({ length: 2 * 17 }, (_, i) =>
      i % 2 ? hasher.hash('pw') : hasher.verify('pw', stored),
    );
    const refused = [hasher.hash('pw'), hasher.verify('pw', stored), hasher.decoyHash()];
    for (const answer of refused) {
      const error = await answer.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(error).toMatchObject({ code: 'RATE_LIMITED' });
      expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    }
    const results = await Promise.all(admitted);
    expect(results.filter((r) => r === true)).toHaveLength(17);
    expect(results.filter((r) => typeof r === 'string' && FORMAT.test(r))).toHaveLength(17);
    // Once the queue has drained, hashing (and the decoy, not stuck on its refusal) works again.
    expect(await hasher.verify('pw', stored)).toBe(true);
    expect(await hasher.decoyHash()).toMatch(FORMAT);
  });
});
