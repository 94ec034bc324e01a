import { createHash, randomBytes } from 'node:crypto';

/** What every bot API key starts with: tells a key from a JWT (which starts with `eyJ`) at a glance. */
export const BOT_KEY_PREFIX = 'pk_bot_';

/** Whether a bearer credential is a bot's API key rather than a token. */
export const isBotKey = (credential: string) => credential.startsWith(BOT_KEY_PREFIX);

/**
 * A new API key: the prefix and 256 random bits (base64url), shown to the operator once, and the
 * digest that is stored instead of it.
 */
export function newBotKey(): { key: string; hash: Buffer } {
  const key = `${BOT_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: botKeyHash(key) };
}

/**
 * The stored form of a key: its SHA-256. A password needs a slow, memory-hard KDF because people
 * choose guessable ones, and the KDF makes each guess expensive; a key of 256 random bits cannot be
 * guessed however fast the hash — a stolen digest table gives nothing to try — so one fast hash is
 * as safe, and lets every request look its key up by digest (an index lookup) instead of paying
 * scrypt's 128 MiB and a few hundred milliseconds each time.
 */
export function botKeyHash(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
