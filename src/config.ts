import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_LENGTH, MAX_CHAT_MEMBERS } from './protocol/schemas.js';

/**
 * Every setting of the process, read once from the environment (contract §1).
 * Nothing else in the code reads `process.env`.
 */
export interface Config {
  /** TCP port for HTTP and Socket.IO. @default 4201 */
  port: number;
  /** Bind address. @default '0.0.0.0' */
  host: string;
  /** Where the store lives: embedded PGlite in a folder, in memory, or a PostgreSQL server. */
  database: { kind: 'pglite'; dataDir: string } | { kind: 'memory' } | { kind: 'postgres'; url: string };
  /** Folder for the embedded database and the generated development secret. @default './data' */
  dataDir: string;
  /** Redis for the Socket.IO cluster adapter; unset means a single node. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and stream this deployment uses. @default 'parley' */
  redisPrefix: string;
  jwt: {
    /** HS256 key; undefined means "generate one" (embedded mode only). */
    secret: string | undefined;
    issuer: string | undefined;
    /**
     * Put into issued tokens and required of presented ones. Undefined: any audience — unset
     * without an external provider, or `JWT_AUDIENCE=*`, the explicit opt-out a provider requires.
     */
    audience: string | undefined;
    /**
     * An external identity provider whose tokens (RS256 / ES256 / EdDSA) are accepted, users being
     * created on first sight: a PEM public key (`JWT_PUBLIC_KEY`) or a JWKS URL (`JWKS_URL`).
     */
    external: ExternalProvider | undefined;
    /** Lifetime of the tokens this server issues, in seconds. @default 3600 */
    ttlSeconds: number;
  };
  /** Longest message text, in characters (code points) after trimming. @default 4000 */
  maxMessageLength: number;
  /**
   * `user_online` / `user_offline` go to the partners who share with the user at least one chat
   * of at most this many members: announcing every arrival to a chat of N members online makes N²
   * events as it fills, so big chats carry no presence events (the chat list's `online` flags
   * still do). 0: no presence events at all. @default MAX_CHAT_MEMBERS (200, the member cap of
   * chats made through the API)
   */
  presenceMaxChatMembers: number;
  /** Uploaded files (README "Files and images"). */
  files: FileSettings;
  /** Abuse limits (README "Security"). */
  limits: Limits;
  /** How passwords are hashed (README "Security"). */
  passwords: PasswordHashing;
  /**
   * Browser origins allowed to call the HTTP API and open Socket.IO connections (`CORS_ORIGINS`).
   * Undefined: every origin is allowed.
   */
  corsOrigins: string[] | undefined;
  /**
   * Which proxies' `X-Forwarded-For` to believe for the client address (Fastify `trustProxy`):
   * false (the socket's address), true (any), a hop count, or a list of addresses/CIDRs.
   * @default false
   */
  trustProxy: boolean | number | string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * The operators' bearer token for the `/admin/...` routes (`ADMIN_TOKEN`, at least 32
   * characters). Undefined: those routes do not exist (404).
   */
  adminToken: string | undefined;
  /** Who moderates (README "Operating"). */
  moderators: Moderators;
  /** Outgoing webhooks and the outbox that sends them and the push notifications (README "Webhooks"). */
  outbox: OutboxSettings;
  /** Web Push (README "Push notifications"). */
  push: PushSettings;
}

/** The users allowed the `/moderation/...` routes: named by id, or by a claim of the external provider's tokens. */
export interface Moderators {
  /** `MODERATOR_IDS`: user ids (uuids). @default [] */
  userIds: string[];
  /**
   * `MODERATOR_ROLE_CLAIM` and `MODERATOR_ROLE_VALUE`: a token of the external identity provider
   * whose claim `name` (top-level, else a dotted path such as `realm_access.roles`) is `value`, or a
   * list holding it, makes its user a moderator.
   */
  roleClaim: { name: string; value: string } | undefined;
}

export interface OutboxSettings {
  /**
   * Webhook and push endpoints on private, loopback, link-local or other non-public addresses are
   * allowed (`WEBHOOK_ALLOW_PRIVATE=true`): for development and tests only. @default false
   */
  allowPrivateAddresses: boolean;
  /** Failed attempts after which a delivery is parked (`WEBHOOK_MAX_ATTEMPTS`). @default 8 */
  maxAttempts: number;
  /**
   * Wait before the first retry, in ms (`WEBHOOK_RETRY_BASE_MS`); each next one waits twice as long,
   * at most an hour. @default 10000
   */
  retryBaseMs: number;
  /** How long one webhook or push request may take, in ms (`WEBHOOK_TIMEOUT_MS`). @default 10000 */
  requestTimeoutMs: number;
  /** How often each node looks for deliveries due, in ms (`OUTBOX_POLL_MS`). @default 1000 */
  pollIntervalMs: number;
}

export interface PushSettings {
  /** VAPID key pair (URL-safe base64, as web-push makes them); unset: generated once and kept in DATA_DIR. */
  vapidKeys: { publicKey: string; privateKey: string } | undefined;
  /** The contact the push services see (`VAPID_SUBJECT`, mailto: or https:). @default 'mailto:admin@localhost' */
  vapidSubject: string;
}

export type ExternalProvider =
  { kind: 'public-key'; pem: string; algorithm: ExternalAlgorithm } | { kind: 'jwks'; url: string };

/** The only algorithms accepted from an external identity provider. */
export const EXTERNAL_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type ExternalAlgorithm = (typeof EXTERNAL_ALGORITHMS)[number];

/** The one algorithm a public key may verify: RSA → RS256, P-256 → ES256, Ed25519 → EdDSA. */
export function algorithmOfKey(key: KeyObject): ExternalAlgorithm | undefined {
  if (key.type !== 'public') return undefined;
  if (key.asymmetricKeyType === 'rsa')
    return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? 'RS256' : undefined;
  if (key.asymmetricKeyType === 'ec')
    return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  return undefined;
}

/** A PEM public key (SPKI) → the algorithm it verifies, or undefined when it is not one Parley accepts. */
function publicKeyAlgorithm(pem: string): ExternalAlgorithm | undefined {
  try {
    return algorithmOfKey(createPublicKey({ key: pem, format: 'pem' }));
  } catch {
    return undefined;
  }
}

export interface FileSettings {
  /** Largest upload, in bytes (`FILE_MAX_BYTES`); a bigger one is refused with 413. @default 10 MiB */
  maxBytes: number;
  /**
   * Files a user may hold unattached to any message (uploads in progress included); one more
   * upload is refused until some are sent or expire (`FILE_MAX_UNATTACHED`). @default 20
   */
  maxUnattached: number;
  /** How long an upload never attached to a message is kept, in seconds (`FILE_ORPHAN_TTL`). @default 86400 */
  orphanTtlSeconds: number;
  /** How often each node sweeps expired uploads, in seconds (`FILE_SWEEP_INTERVAL`). @default 600 */
  sweepIntervalSeconds: number;
}

export interface Limits {
  /**
   * Sustained rate of message changes per user (send_message, edit_message, delete_message
   * together), shared by every node through Redis when configured; also the figures of mark_read's
   * and typing's own buckets. @default 10
   */
  messagesPerSecond: number;
  /** Message-change burst per user; at least messagesPerSecond. @default 20 */
  messageBurst: number;
  /** Sustained rate of events (any name) and authenticated HTTP requests per user, every socket and node together. @default 50 */
  eventsPerSecond: number;
  /** Event burst per user; at least eventsPerSecond. @default 100 */
  eventBurst: number;
  /** Sustained rate of reads per user: history pages, chat lists, join_chat, sync, user search. @default 10 */
  readsPerSecond: number;
  /** Read burst per user; at least readsPerSecond (a reconnect joins every chat). @default 100 */
  readBurst: number;
  /**
   * Bytes of answers per user per second (rate-limits.ts): a read is refused while its user's
   * answers passed it, until the excess is paid off at this rate, so that a page of big messages
   * costs what it weighs, not what a small one does. @default 1048576
   */
  readBytesPerSecond: number;
  /**
   * Events and authenticated HTTP requests of one user handled at once on a node; the next ones
   * wait their turn, so that one user's flood holds at most this many of the node's database
   * operations. @default 4
   */
  concurrentRequestsPerUser: number;
  /**
   * Of those, reads (history pages, chat lists, join_chat, sync, user search) handled at once:
   * the big answers of one user are made one after another. @default 1
   */
  concurrentReadsPerUser: number;
  /** Requests of one user waiting for their turn on a node; one more is refused. @default 32 */
  waitingRequestsPerUser: number;
  /**
   * Bytes queued for one connection and not yet taken by the network (Engine.IO's write buffer and,
   * on WebSocket, what the socket has not sent); a connection past it is cut. @default 2 MiB
   */
  queuedBytesPerConnection: number;
  /** Open Socket.IO connections per user, per node. @default 50 */
  connectionsPerUser: number;
  /** POST /auth/login and /auth/register requests per client address per minute. @default 20 */
  authPerIpPerMinute: number;
  /** Failed logins per account in 15 minutes before its logins are refused. @default 10 */
  loginFailuresPerAccount: number;
  /** `POST /files` uploads per user per minute, every node together. @default 20 */
  uploadsPerMinute: number;
  /** Bytes a user may upload per hour, every node together. @default 200 MiB */
  uploadBytesPerHour: number;
  /**
   * Chats created plus member additions per user per minute: each puts other users into a chat
   * (and their chat lists) without asking them. @default 30
   */
  chatChangesPerMinute: number;
  /** GET /users?search= per user per minute: each answer names up to 20 users with their emails. @default 30 */
  userSearchesPerMinute: number;
  /**
   * Requests of one user refused by a rate limit within 10 s, on a node, past which the user is cut
   * off (limits/abuse-cooldown.ts); 0: never. @default 500
   */
  abuseRefusals: number;
  /** How long a user cut off stays so: their connections are refused meanwhile. @default 30 */
  abuseCooldownSeconds: number;
}

/**
 * OWASP's minimum for scrypt (Password Storage Cheat Sheet): N = 2^17 with r = 8, p = 1 — 128 MiB of
 * memory and a few hundred milliseconds of one core per hash. The environment cannot go below it.
 */
export const OWASP_SCRYPT_LOG2_N = 17;

export interface PasswordHashing {
  /** log2 of scrypt's N for new hashes (r = 8, p = 1): 128 MiB × 2^(log2N − 17) each. @default 17 */
  log2N: number;
  /** Hashes computed at once, each on a thread of libuv's pool (shared with file reads and DNS). @default 2 */
  concurrency: number;
}

/** Start-up stops with this: one line per bad variable, naming it. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "3600", "90s", "15m", "1h", "7d" → seconds. */
function parseDuration(value: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * DURATION_UNITS[match[2] || 's']!;
  return seconds > 0 ? seconds : undefined;
}

const optionalText = z
  .string()
  .transform((v) => v.trim())
  .optional()
  .transform((v) => (v ? v : undefined));

/** "https://chat.example.com" or "http://localhost:3000": what a browser sends as `Origin`. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}

function urlWithProtocols(protocols: string[]) {
  return optionalText.refine(
    (value) => {
      if (value === undefined) return true;
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
}

/** A whole number in [min, max]; unset or blank → `fallback`. */
function wholeNumber(fallback: number, min: number, max: number) {
  return optionalText
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      message: `must be a whole number from ${min} to ${max}`,
    });
}

const MAX_RATE = 1_000_000;
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/;
/** `JWT_AUDIENCE=*`: tokens of any audience are accepted (an operator's explicit choice). */
const ANY_AUDIENCE = '*';

const envSchema = z.object({
  PORT: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 4201 : Number(v)))
    .refine((n) => Number.isInteger(n) && n >= 0 && n <= 65535, {
      message: 'must be a whole number from 0 to 65535',
    }),
  HOST: optionalText.transform((v) => v ?? '0.0.0.0'),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:', 'memory:']),
  DATA_DIR: optionalText.transform((v) => v ?? './data'),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']),
  REDIS_PREFIX: optionalText
    .transform((v) => v ?? 'parley')
    .refine((v) => /^[\w.:-]{1,64}$/.test(v), { message: 'must be 1-64 letters, digits, "_", ".", ":" or "-"' }),
  JWT_SECRET: optionalText.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters long',
  }),
  // Environments often carry a PEM on one line with literal "\n" escapes.
  JWT_PUBLIC_KEY: optionalText
    .transform((v) => v?.replace(/\\n/g, '\n'))
    .refine(
      (v) => v === undefined || (v.includes('-----BEGIN PUBLIC KEY-----') && publicKeyAlgorithm(v) !== undefined),
      {
        message:
          'must be a PEM public key ("-----BEGIN PUBLIC KEY-----", SPKI): RSA of at least 2048 bits (RS256), P-256 (ES256) or Ed25519 (EdDSA)',
      },
    ),
  JWKS_URL: urlWithProtocols(['http:', 'https:']),
  ADMIN_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters long',
  }),
  MODERATOR_IDS: optionalText
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((id) => id.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine((ids) => ids.every((id) => UUID.test(id)), {
      message: 'must be a comma-separated list of user ids (uuids)',
    }),
  MODERATOR_ROLE_CLAIM: optionalText.refine((v) => v === undefined || v.length <= 200, {
    message: 'must be a claim name (a dotted path into nested claims) of at most 200 characters',
  }),
  MODERATOR_ROLE_VALUE: optionalText,
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  JWT_TTL: optionalText
    .transform((v) => (v === undefined ? 3600 : parseDuration(v)))
    .refine((v) => v !== undefined, { message: 'must be a duration such as 3600, 15m, 1h or 7d' }),
  MAX_MESSAGE_LENGTH: optionalText
    .transform((v) => (v === undefined ? DEFAULT_MAX_MESSAGE_LENGTH : Number(v)))
    .refine((n) => Number.isInteger(n) && n >= 1 && n <= 60_000, {
      message: 'must be a whole number from 1 to 60000',
    }),
  PRESENCE_MAX_CHAT_MEMBERS: wholeNumber(MAX_CHAT_MEMBERS, 0, 1_000_000),
  RATE_LIMIT_MESSAGES_PER_SECOND: wholeNumber(10, 1, MAX_RATE),
  RATE_LIMIT_MESSAGE_BURST: wholeNumber(20, 1, MAX_RATE),
  RATE_LIMIT_EVENTS_PER_SECOND: wholeNumber(50, 1, MAX_RATE),
  RATE_LIMIT_EVENT_BURST: wholeNumber(100, 1, MAX_RATE),
  RATE_LIMIT_READS_PER_SECOND: wholeNumber(10, 1, MAX_RATE),
  RATE_LIMIT_READ_BURST: wholeNumber(100, 1, MAX_RATE),
  RATE_LIMIT_READ_BYTES_PER_SECOND: wholeNumber(1024 * 1024, 1024, 2 ** 40),
  MAX_CONCURRENT_REQUESTS_PER_USER: wholeNumber(4, 1, MAX_RATE),
  MAX_CONCURRENT_READS_PER_USER: wholeNumber(1, 1, MAX_RATE),
  MAX_WAITING_REQUESTS_PER_USER: wholeNumber(32, 0, MAX_RATE),
  MAX_QUEUED_BYTES_PER_CONNECTION: wholeNumber(2 * 1024 * 1024, 1024, 2 ** 30),
  MAX_CONNECTIONS_PER_USER: wholeNumber(50, 1, MAX_RATE),
  RATE_LIMIT_AUTH_PER_IP: wholeNumber(20, 1, MAX_RATE),
  RATE_LIMIT_CHATS_PER_MINUTE: wholeNumber(30, 1, MAX_RATE),
  RATE_LIMIT_LOGIN_FAILURES: wholeNumber(10, 1, MAX_RATE),
  RATE_LIMIT_USER_SEARCHES_PER_MINUTE: wholeNumber(30, 1, MAX_RATE),
  RATE_LIMIT_UPLOADS_PER_MINUTE: wholeNumber(20, 1, MAX_RATE),
  RATE_LIMIT_UPLOAD_BYTES_PER_HOUR: wholeNumber(200 * 1024 * 1024, 1024 * 1024, 2 ** 40),
  FILE_MAX_BYTES: wholeNumber(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  FILE_MAX_UNATTACHED: wholeNumber(20, 1, 10_000),
  FILE_ORPHAN_TTL: optionalText
    .transform((v) => (v === undefined ? 86_400 : parseDuration(v)))
    .refine((v) => v !== undefined && v >= 60, {
      message: 'must be a duration of at least a minute, such as 3600, 30m, 24h or 7d',
    }),
  FILE_SWEEP_INTERVAL: optionalText
    .transform((v) => (v === undefined ? 600 : parseDuration(v)))
    .refine((v) => v !== undefined && v >= 1, { message: 'must be a duration such as 60, 10m or 1h' }),
  RATE_LIMIT_ABUSE_REFUSALS: wholeNumber(500, 0, MAX_RATE),
  RATE_LIMIT_ABUSE_COOLDOWN_SECONDS: wholeNumber(30, 1, 86_400),
  // 2^20 is 1 GiB per hash: beyond it one login could take the machine's memory.
  PASSWORD_SCRYPT_LOG2_N: wholeNumber(OWASP_SCRYPT_LOG2_N, OWASP_SCRYPT_LOG2_N, 20),
  PASSWORD_HASH_CONCURRENCY: wholeNumber(2, 1, 64),
  CORS_ORIGINS: optionalText
    .transform((v) =>
      v === undefined
        ? undefined
        : v
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean),
    )
    .refine((origins) => origins === undefined || origins.every(isOrigin), {
      message:
        'must be a comma-separated list of origins such as https://chat.example.com (scheme, host, optional port)',
    })
    .transform((origins) => origins?.map((o) => new URL(o).origin)),
  TRUST_PROXY: optionalText
    .transform((v): boolean | number | string[] | undefined => {
      if (v === undefined || v === 'false') return false;
      if (v === 'true') return true;
      if (/^\d+$/.test(v)) return Number(v);
      const list = v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      return list.every((a) => /^[\da-fA-F.:/]+$/.test(a)) && list.length > 0 ? list : undefined;
    })
    .refine((v) => v !== undefined, {
      message: 'must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs',
    }),
  WEBHOOK_ALLOW_PRIVATE: optionalText
    .transform((v) => (v === undefined ? false : v === 'true' ? true : v === 'false' ? false : undefined))
    .refine((v) => v !== undefined, { message: 'must be true or false' }),
  WEBHOOK_MAX_ATTEMPTS: wholeNumber(8, 1, 100),
  WEBHOOK_RETRY_BASE_MS: wholeNumber(10_000, 1, 3_600_000),
  WEBHOOK_TIMEOUT_MS: wholeNumber(10_000, 100, 120_000),
  OUTBOX_POLL_MS: wholeNumber(1_000, 10, 600_000),
  VAPID_PUBLIC_KEY: optionalText.refine((v) => v === undefined || /^[A-Za-z0-9_-]{87}$/.test(v), {
    message:
      'must be an uncompressed P-256 public key in URL-safe base64 (87 characters), as `npx web-push generate-vapid-keys` prints',
  }),
  VAPID_PRIVATE_KEY: optionalText.refine((v) => v === undefined || /^[A-Za-z0-9_-]{43}$/.test(v), {
    message:
      'must be a P-256 private key in URL-safe base64 (43 characters), as `npx web-push generate-vapid-keys` prints',
  }),
  VAPID_SUBJECT: optionalText
    .transform((v) => v ?? 'mailto:admin@localhost')
    .refine((v) => /^(mailto:|https:\/\/)\S+$/.test(v), { message: 'must be a mailto: or https:// URL' }),
  LOG_LEVEL: optionalText
    .transform((v) => v ?? 'info')
    .pipe(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'must be one of fatal, error, warn, info, debug, trace, silent',
      }),
    ),
});

/** Reads and validates the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? 'environment');
        const value = env[variable];
        const shown = value === undefined || /SECRET|KEY|URL|TOKEN/.test(variable) ? '' : ` (got "${value}")`;
        return `${variable} ${issue.message}${shown}`;
      });
  // Checked on the raw values, even when other variables are bad, so that one start-up reports
  // every problem instead of revealing them one fix at a time.
  const external = Boolean(env.JWT_PUBLIC_KEY?.trim() || env.JWKS_URL?.trim());
  if (/^\s*postgres(ql)?:/i.test(env.DATABASE_URL ?? '') && !env.JWT_SECRET?.trim() && !external) {
    problems.push(
      'JWT_SECRET is required when DATABASE_URL points to PostgreSQL (every node must share it), unless JWT_PUBLIC_KEY or JWKS_URL names an external identity provider',
    );
  }
  // A provider signs tokens for all its applications: without an audience, one minted for another
  // of them would open a session here.
  if (external && !env.JWT_AUDIENCE?.trim()) {
    problems.push(
      'JWT_AUDIENCE is required with an external identity provider (JWT_PUBLIC_KEY or JWKS_URL), so that its tokens for other applications are refused: set the audience its tokens for Parley carry, or * to accept any audience',
    );
  }
  if (Boolean(env.MODERATOR_ROLE_CLAIM?.trim()) !== Boolean(env.MODERATOR_ROLE_VALUE?.trim())) {
    problems.push('MODERATOR_ROLE_CLAIM and MODERATOR_ROLE_VALUE go together: set both or neither');
  } else if (env.MODERATOR_ROLE_CLAIM?.trim() && !external) {
    problems.push(
      'MODERATOR_ROLE_CLAIM needs an external identity provider (JWT_PUBLIC_KEY or JWKS_URL): only its tokens carry roles',
    );
  }
  if (env.JWT_PUBLIC_KEY?.trim() && env.JWKS_URL?.trim()) {
    problems.push('JWKS_URL cannot be set together with JWT_PUBLIC_KEY: choose one way to reach the identity provider');
  }
  for (const [burst, rate] of [
    ['RATE_LIMIT_MESSAGE_BURST', 'RATE_LIMIT_MESSAGES_PER_SECOND'],
    ['RATE_LIMIT_EVENT_BURST', 'RATE_LIMIT_EVENTS_PER_SECOND'],
    ['RATE_LIMIT_READ_BURST', 'RATE_LIMIT_READS_PER_SECOND'],
  ] as const) {
    if (parsed.success && parsed.data[burst] < parsed.data[rate]) {
      problems.push(`${burst} must be at least ${rate} (${parsed.data[rate]}) (got "${env[burst]}")`);
    }
  }
  if (Boolean(env.VAPID_PUBLIC_KEY?.trim()) !== Boolean(env.VAPID_PRIVATE_KEY?.trim())) {
    problems.push('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together (or neither, to generate a pair)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;

  const database: Config['database'] = !e.DATABASE_URL
    ? { kind: 'pglite', dataDir: e.DATA_DIR }
    : new URL(e.DATABASE_URL).protocol === 'memory:'
      ? { kind: 'memory' }
      : { kind: 'postgres', url: e.DATABASE_URL };

  return {
    port: e.PORT,
    host: e.HOST,
    database,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    jwt: {
      secret: e.JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE === ANY_AUDIENCE ? undefined : e.JWT_AUDIENCE,
      external: e.JWT_PUBLIC_KEY
        ? { kind: 'public-key', pem: e.JWT_PUBLIC_KEY, algorithm: publicKeyAlgorithm(e.JWT_PUBLIC_KEY)! }
        : e.JWKS_URL
          ? { kind: 'jwks', url: e.JWKS_URL }
          : undefined,
      ttlSeconds: e.JWT_TTL,
    },
    maxMessageLength: e.MAX_MESSAGE_LENGTH,
    presenceMaxChatMembers: e.PRESENCE_MAX_CHAT_MEMBERS,
    files: {
      maxBytes: e.FILE_MAX_BYTES,
      maxUnattached: e.FILE_MAX_UNATTACHED,
      orphanTtlSeconds: e.FILE_ORPHAN_TTL!,
      sweepIntervalSeconds: e.FILE_SWEEP_INTERVAL!,
    },
    limits: {
      messagesPerSecond: e.RATE_LIMIT_MESSAGES_PER_SECOND,
      messageBurst: e.RATE_LIMIT_MESSAGE_BURST,
      eventsPerSecond: e.RATE_LIMIT_EVENTS_PER_SECOND,
      eventBurst: e.RATE_LIMIT_EVENT_BURST,
      readsPerSecond: e.RATE_LIMIT_READS_PER_SECOND,
      readBurst: e.RATE_LIMIT_READ_BURST,
      readBytesPerSecond: e.RATE_LIMIT_READ_BYTES_PER_SECOND,
      concurrentRequestsPerUser: e.MAX_CONCURRENT_REQUESTS_PER_USER,
      concurrentReadsPerUser: e.MAX_CONCURRENT_READS_PER_USER,
      waitingRequestsPerUser: e.MAX_WAITING_REQUESTS_PER_USER,
      queuedBytesPerConnection: e.MAX_QUEUED_BYTES_PER_CONNECTION,
      connectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
      authPerIpPerMinute: e.RATE_LIMIT_AUTH_PER_IP,
      loginFailuresPerAccount: e.RATE_LIMIT_LOGIN_FAILURES,
      chatChangesPerMinute: e.RATE_LIMIT_CHATS_PER_MINUTE,
      userSearchesPerMinute: e.RATE_LIMIT_USER_SEARCHES_PER_MINUTE,
      uploadsPerMinute: e.RATE_LIMIT_UPLOADS_PER_MINUTE,
      uploadBytesPerHour: e.RATE_LIMIT_UPLOAD_BYTES_PER_HOUR,
      abuseRefusals: e.RATE_LIMIT_ABUSE_REFUSALS,
      abuseCooldownSeconds: e.RATE_LIMIT_ABUSE_COOLDOWN_SECONDS,
    },
    passwords: { log2N: e.PASSWORD_SCRYPT_LOG2_N, concurrency: e.PASSWORD_HASH_CONCURRENCY },
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    adminToken: e.ADMIN_TOKEN,
    moderators: {
      userIds: e.MODERATOR_IDS,
      roleClaim:
        e.MODERATOR_ROLE_CLAIM && e.MODERATOR_ROLE_VALUE
          ? { name: e.MODERATOR_ROLE_CLAIM, value: e.MODERATOR_ROLE_VALUE }
          : undefined,
    },
    outbox: {
      allowPrivateAddresses: e.WEBHOOK_ALLOW_PRIVATE,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      requestTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      pollIntervalMs: e.OUTBOX_POLL_MS,
    },
    push: {
      vapidKeys:
        e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY
          ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY }
          : undefined,
      vapidSubject: e.VAPID_SUBJECT,
    },
  };
}
