import { describe, expect, it } from 'vitest';
import { decoyHash, hashPassword, verifyPassword } from '../../src/auth/passwords.js';

/** `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (contract §2: a memory-hard KDF, never the password). */
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

describe('password hashing', () => {
  it('stores scrypt with its cost, a 16-byte salt and a 32-byte key', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const match = FORMAT.exec(stored);
    expect(match).not.toBeNull();
    const [, log2N, r, p, salt, key] = match!;
    expect(Number(log2N)).toBeGreaterThanOrEqual(14); // at least 16 MiB of memory with r = 8
    expect(Number(r)).toBeGreaterThanOrEqual(8);
    expect(Number(p)).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
    expect(stored).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('s3cret-пароль');
    expect(await verifyPassword('s3cret-пароль', stored)).toBe(true);
    expect(await verifyPassword('s3cret-пароль ', stored)).toBe(false);
    expect(await verifyPassword('S3cret-пароль', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts: two hashes of one password differ, and both verify', async () => {
    const [first, second] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect(await verifyPassword('same password', first)).toBe(true);
    expect(await verifyPassword('same password', second)).toBe(true);
  });

  it('a tampered hash or salt no longer verifies', async () => {
    const stored = await hashPassword('tamper me');
    const parts = stored.split('$');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64');
    };
    const badKey = [...parts.slice(0, 5), flip(parts[5]!)].join('$');
    const badSalt = [...parts.slice(0, 4), flip(parts[4]!), parts[5]].join('$');
    const shortKey = [...parts.slice(0, 5), Buffer.from(parts[5]!, 'base64').subarray(0, 16).toString('base64')].join('$');
    expect(await verifyPassword('tamper me', badKey)).toBe(false);
    expect(await verifyPassword('tamper me', badSalt)).toBe(false);
    expect(await verifyPassword('tamper me', shortKey)).toBe(false);
  });

  it('an unknown scheme or a malformed record is false, not a match', async () => {
    const stored = await hashPassword('pw');
    const rest = stored.split('$').slice(1).join('$');
    expect(await verifyPassword('pw', `bcrypt$${rest}`)).toBe(false);
    expect(await verifyPassword('pw', `SCRYPT$${rest}`)).toBe(false);
    expect(await verifyPassword('pw', 'pw')).toBe(false);
    expect(await verifyPassword('pw', '')).toBe(false);
    expect(await verifyPassword('pw', 'scrypt$15$8$1$$')).toBe(false);
  });

  it('cost parameters scrypt refuses give false rather than an error', async () => {
    const [, , , , salt, key] = (await hashPassword('pw')).split('$');
    for (const cost of ['abc$8$1', '40$8$1', '15$0$1', '$$']) {
      await expect(verifyPassword('pw', `scrypt$${cost}$${salt}$${key}`)).resolves.toBe(false);
    }
  });

  it('compares Unicode passwords in one normal form (é typed two ways)', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    const stored = await hashPassword(composed);
    expect(await verifyPassword(decomposed, stored)).toBe(true);
  });

  it('the decoy hash is a real hash that the empty password does not match', async () => {
    const decoy = await decoyHash();
    expect(decoy).toMatch(FORMAT);
    expect(await decoyHash()).toBe(decoy);
    expect(await verifyPassword('', decoy)).toBe(false);
  });
});
