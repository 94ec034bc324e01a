import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';
import type { PasswordHashing } from '../config.js';
import { RateLimitedError } from '../limits/rate-limited-error.js';

/** scrypt's cost factors: N = 2^log2N blocks of 128·r bytes (the memory), p passes. */
export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}

/** r = 8 (1 KiB blocks) and p = 1, as OWASP recommends with N = 2^17; N is configured. */
const BLOCK_SIZE = 8;

/**
 * The most a stored hash may ask of `verify`: 1 GiB (N = 2^20 with r = 8) and 16 passes. A record
 * beyond it (a corrupt or planted row) matches nothing rather than making one login allocate
 * gigabytes.
 */
const MAX_MEMORY_BYTES = 2 ** 30;
const MAX_PASSES = 16;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/** Hashes that may wait for a free slot, per slot: a login waits at most ~16 hash times. */
const WAITING_PER_SLOT = 16;
/** When the queue is full: about one hash time, after which a slot is likely free. */
const BUSY_RETRY_AFTER_MS = 1_000;
const BUSY_TEXT = 'Сервер занят проверкой паролей, попробуйте войти чуть позже';

/**
 * Password hashing with scrypt (memory-hard, in Node itself — no native addon to build). Stored as
 * `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`, so that a hash of older, cheaper parameters still verifies
 * and can be replaced at the next successful login (`needsRehash`).
 *
 * Node runs `crypto.scrypt` on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says
 * otherwise), which file reads and DNS lookups share. At most `concurrency` hashes run at once, so
 * that a burst of logins neither takes every thread nor holds more than `concurrency` × 128 MiB;
 * past `concurrency` × 16 waiting, a hash is refused at once with RATE_LIMITED instead of queueing
 * without end.
 */
export class PasswordHasher {
  private readonly cost: ScryptCost;
  private readonly slots: ReturnType<typeof pLimit>;
  private readonly maxQueued: number;
  private decoy: Promise<string> | undefined;

  constructor(options: PasswordHashing) {
    this.cost = { log2N: options.log2N, r: BLOCK_SIZE, p: 1 };
    this.slots = pLimit(options.concurrency);
    this.maxQueued = options.concurrency * (1 + WAITING_PER_SLOT);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const key = await this.derive(password, salt, this.cost);
    const { log2N, r, p } = this.cost;
    return ['scrypt', log2N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, log2N, r, p, salt, hash] = stored.split('$');
    const cost = { log2N: Number(log2N), r: Number(r), p: Number(p) };
    // A record whose cost is out of range (NaN, absurd) matches nothing: a corrupt row must give
    // "wrong password", not an INTERNAL error from login.
    if (scheme !== 'scrypt' || !salt || !hash || !acceptable(cost)) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = await this.derive(password, Buffer.from(salt, 'base64'), cost).catch((error: unknown) => {
      if (error instanceof RateLimitedError) throw error;
      return undefined;
    });
    return actual !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** Whether `stored` was made with other parameters than new hashes get: upgrade it after a login. */
  needsRehash(stored: string): boolean {
    const { log2N, r, p } = this.cost;
    return !stored.startsWith(`scrypt$${log2N}$${r}$${p}$`);
  }

  /** A hash to check against when the user does not exist, so both failures take the same time. */
  decoyHash(): Promise<string> {
    this.decoy ??= this.hash(randomBytes(16).toString('hex')).catch((error: unknown) => {
      this.decoy = undefined; // refused while busy: the next login makes it
      throw error;
    });
    return this.decoy;
  }

  private derive(password: string, salt: Buffer, { log2N, r, p }: ScryptCost): Promise<Buffer> {
    if (this.slots.activeCount + this.slots.pendingCount >= this.maxQueued) {
      return Promise.reject(new RateLimitedError(BUSY_RETRY_AFTER_MS, BUSY_TEXT));
    }
    const options: ScryptOptions = { N: 2 ** log2N, r, p, maxmem: 2 * MAX_MEMORY_BYTES };
    return this.slots(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
            error ? reject(error) : resolve(key),
          );
        }),
    );
  }
}

function acceptable({ log2N, r, p }: ScryptCost): boolean {
  const whole = [log2N, r, p].every((n) => Number.isInteger(n) && n >= 1);
  return whole && p <= MAX_PASSES && 128 * r * 2 ** log2N <= MAX_MEMORY_BYTES;
}
