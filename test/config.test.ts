import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { io as ioClient } from 'socket.io-client';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { MAX_CHAT_MEMBERS } from '../src/protocol/schemas.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A freshly generated key as PEM (SPKI for public keys). */
function pem(
  type: 'rsa' | 'ec' | 'ed25519',
  which: 'public' | 'private' = 'public',
  options: { modulusLength?: number; namedCurve?: string } = {},
): string {
  const pair = generateKeyPairSync(type as 'rsa', { modulusLength: 2048, ...options } as { modulusLength: number });
  return which === 'public'
    ? pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    : pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The ConfigError `env` raises; fails the test when it raises nothing or something else. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** Expects exactly one problem, naming `variable` at its start. */
function expectOneProblem(env: NodeJS.ProcessEnv, variable: string): string {
  const { problems, message } = configError(env);
  expect(problems).toHaveLength(1);
  expect(problems[0]!.startsWith(`${variable} `)).toBe(true);
  expect(message).toBe(problems[0]);
  return problems[0]!;
}

describe('loadConfig', () => {
  it('has the contract defaults with an empty environment', () => {
    expect(loadConfig({})).toEqual<Config>({
      port: 4201,
      host: '0.0.0.0',
      database: { kind: 'pglite', dataDir: './data' },
      dataDir: './data',
      redisUrl: undefined,
      redisPrefix: 'parley',
      jwt: { secret: undefined, issuer: undefined, audience: undefined, external: undefined, ttlSeconds: 3600 },
      maxMessageLength: 4000,
      // The member cap of chats made through the API.
      presenceMaxChatMembers: MAX_CHAT_MEMBERS,
      files: { maxBytes: 10 * 1024 * 1024, maxUnattached: 20, orphanTtlSeconds: 86_400, sweepIntervalSeconds: 600 },
      limits: {
        messagesPerSecond: 10,
        messageBurst: 20,
        eventsPerSecond: 50,
        eventBurst: 100,
        readsPerSecond: 10,
        readBurst: 100,
        readBytesPerSecond: 1048576,
        concurrentRequestsPerUser: 4,
        concurrentReadsPerUser: 1,
        waitingRequestsPerUser: 32,
        queuedBytesPerConnection: 2 * 1024 * 1024,
        connectionsPerUser: 50,
        authPerIpPerMinute: 20,
        loginFailuresPerAccount: 10,
        chatChangesPerMinute: 30,
        userSearchesPerMinute: 30,
        uploadsPerMinute: 20,
        uploadBytesPerHour: 200 * 1024 * 1024,
        abuseRefusals: 500,
        abuseCooldownSeconds: 30,
      },
      passwords: { log2N: 17, concurrency: 2 },
      corsOrigins: undefined,
      trustProxy: false,
      logLevel: 'info',
      adminToken: undefined,
      moderators: { userIds: [], roleClaim: undefined },
      outbox: {
        allowPrivateAddresses: false,
        maxAttempts: 8,
        retryBaseMs: 10_000,
        requestTimeoutMs: 10_000,
        pollIntervalMs: 1_000,
      },
      push: { vapidKeys: undefined, vapidSubject: 'mailto:admin@localhost' },
    });
  });

  it('reads the operator token, the outbox settings and configured VAPID keys', () => {
    const publicKey = 'B'.repeat(87);
    const privateKey = 'p'.repeat(43);
    const config = loadConfig({
      ADMIN_TOKEN: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_MS: '20',
      WEBHOOK_TIMEOUT_MS: '500',
      OUTBOX_POLL_MS: '25',
      VAPID_PUBLIC_KEY: publicKey,
      VAPID_PRIVATE_KEY: privateKey,
      VAPID_SUBJECT: 'https://chat.example.com',
    });
    expect(config.adminToken).toBe(SECRET);
    expect(config.outbox).toEqual({
      allowPrivateAddresses: true,
      maxAttempts: 3,
      retryBaseMs: 20,
      requestTimeoutMs: 500,
      pollIntervalMs: 25,
    });
    expect(config.push).toEqual({ vapidKeys: { publicKey, privateKey }, vapidSubject: 'https://chat.example.com' });
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '  ', DATABASE_URL: '', JWT_SECRET: ' ', JWT_TTL: '', LOG_LEVEL: '' });
    expect(config.port).toBe(4201);
    expect(config.host).toBe('0.0.0.0');
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data' });
    expect(config.jwt.secret).toBeUndefined();
    expect(config.jwt.ttlSeconds).toBe(3600);
    expect(config.logLevel).toBe('info');
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/parley',
      REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'https://id.example',
      JWT_AUDIENCE: 'parley',
      JWT_TTL: '15m',
      MAX_MESSAGE_LENGTH: '500',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      database: { kind: 'pglite', dataDir: '/var/lib/parley' },
      dataDir: '/var/lib/parley',
      redisUrl: 'redis://cache:6379',
      jwt: { secret: SECRET, issuer: 'https://id.example', audience: 'parley', ttlSeconds: 900 },
      maxMessageLength: 500,
      logLevel: 'warn',
    });
  });

  it('reads the limits, the origin allow-list and the proxy setting', () => {
    const config = loadConfig({
      RATE_LIMIT_MESSAGES_PER_SECOND: '5',
      RATE_LIMIT_MESSAGE_BURST: '5',
      RATE_LIMIT_EVENTS_PER_SECOND: '7',
      RATE_LIMIT_EVENT_BURST: '70',
      RATE_LIMIT_READS_PER_SECOND: '8',
      RATE_LIMIT_READ_BURST: '9',
      RATE_LIMIT_READ_BYTES_PER_SECOND: '4096',
      MAX_CONCURRENT_REQUESTS_PER_USER: '2',
      MAX_CONCURRENT_READS_PER_USER: '2',
      MAX_WAITING_REQUESTS_PER_USER: '0',
      MAX_QUEUED_BYTES_PER_CONNECTION: '65536',
      MAX_CONNECTIONS_PER_USER: '3',
      RATE_LIMIT_AUTH_PER_IP: '100',
      RATE_LIMIT_LOGIN_FAILURES: '4',
      RATE_LIMIT_CHATS_PER_MINUTE: '6',
      RATE_LIMIT_USER_SEARCHES_PER_MINUTE: '8',
      RATE_LIMIT_UPLOADS_PER_MINUTE: '3',
      RATE_LIMIT_UPLOAD_BYTES_PER_HOUR: '2097152',
      RATE_LIMIT_ABUSE_REFUSALS: '0',
      RATE_LIMIT_ABUSE_COOLDOWN_SECONDS: '600',
      CORS_ORIGINS: ' https://chat.example.com/ , http://localhost:3000 ',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
    });
    expect(config.limits).toEqual({
      messagesPerSecond: 5,
      messageBurst: 5,
      eventsPerSecond: 7,
      eventBurst: 70,
      readsPerSecond: 8,
      readBurst: 9,
      readBytesPerSecond: 4096,
      concurrentRequestsPerUser: 2,
      concurrentReadsPerUser: 2,
      waitingRequestsPerUser: 0,
      queuedBytesPerConnection: 65536,
      connectionsPerUser: 3,
      authPerIpPerMinute: 100,
      loginFailuresPerAccount: 4,
      chatChangesPerMinute: 6,
      userSearchesPerMinute: 8,
      uploadsPerMinute: 3,
      uploadBytesPerHour: 2097152,
      abuseRefusals: 0,
      abuseCooldownSeconds: 600,
    });
    expect(config.corsOrigins).toEqual(['https://chat.example.com', 'http://localhost:3000']);
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });

  it('reads the file settings: size cap, unattached files, expiry and sweep interval', () => {
    const config = loadConfig({
      FILE_MAX_BYTES: '1048576',
      FILE_MAX_UNATTACHED: '5',
      FILE_ORPHAN_TTL: '2h',
      FILE_SWEEP_INTERVAL: '30s',
    });
    expect(config.files).toEqual({
      maxBytes: 1048576,
      maxUnattached: 5,
      orphanTtlSeconds: 7200,
      sweepIntervalSeconds: 30,
    });
    for (const [variable, value] of [
      ['FILE_MAX_BYTES', '100'],
      ['FILE_MAX_BYTES', 'lots'],
      ['FILE_MAX_UNATTACHED', '0'],
      ['FILE_ORPHAN_TTL', '10'],
      ['FILE_ORPHAN_TTL', 'soon'],
      ['FILE_SWEEP_INTERVAL', '0'],
    ] as const) {
      expect(() => loadConfig({ [variable]: value }), `${variable}=${value}`).toThrow(variable);
    }
  });

  it('reads the largest chat that carries presence events; 0 turns them off', () => {
    expect(loadConfig({ PRESENCE_MAX_CHAT_MEMBERS: '5000' }).presenceMaxChatMembers).toBe(5000);
    expect(loadConfig({ PRESENCE_MAX_CHAT_MEMBERS: '0' }).presenceMaxChatMembers).toBe(0);
  });

  it('reads the password hashing cost and concurrency', () => {
    expect(loadConfig({ PASSWORD_SCRYPT_LOG2_N: '18', PASSWORD_HASH_CONCURRENCY: '4' }).passwords).toEqual({
      log2N: 18,
      concurrency: 4,
    });
  });

  it("reads the operators' token and the moderators, by id and by a claim of the provider", () => {
    const [one, two] = [randomUUID(), randomUUID()];
    const config = loadConfig({
      ADMIN_TOKEN: SECRET,
      MODERATOR_IDS: ` ${one}, ${two.toUpperCase()} `,
      JWKS_URL: 'https://id.example/jwks',
      JWT_AUDIENCE: 'parley',
      MODERATOR_ROLE_CLAIM: 'roles',
      MODERATOR_ROLE_VALUE: 'chat-moderator',
    });
    expect(config.adminToken).toBe(SECRET);
    expect(config.moderators).toEqual({ userIds: [one, two], roleClaim: { name: 'roles', value: 'chat-moderator' } });
  });

  it('accepts PORT 0 (any free port) and 65535', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it('DATABASE_URL memory:// is the in-memory store, and needs no secret', () => {
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'memory' });
    expect(loadConfig({ DATABASE_URL: 'memory://' }).jwt.secret).toBeUndefined();
  });

  it.each(['postgres://parley:pw@db:5432/parley', 'postgresql://db/parley?sslmode=require'])(
    'DATABASE_URL %s is PostgreSQL',
    (url) => {
      expect(loadConfig({ DATABASE_URL: url, JWT_SECRET: SECRET }).database).toEqual({ kind: 'postgres', url });
    },
  );

  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
  ])('JWT_TTL %s is %i seconds', (value, seconds) => {
    expect(loadConfig({ JWT_TTL: value }).jwt.ttlSeconds).toBe(seconds);
  });

  it.each(['soon', '1w', '-5m', '0', '1.5h', 'h'])('JWT_TTL %s is refused', (value) => {
    expect(expectOneProblem({ JWT_TTL: value }, 'JWT_TTL')).toContain(`"${value}"`);
  });

  describe('external identity provider', () => {
    it.each([
      ['an RSA key → RS256', 'rsa', 'RS256', { modulusLength: 2048 }],
      ['a P-256 key → ES256', 'ec', 'ES256', { namedCurve: 'P-256' }],
      ['an Ed25519 key → EdDSA', 'ed25519', 'EdDSA', {}],
    ] as const)('JWT_PUBLIC_KEY with %s', (_label, type, algorithm, options) => {
      const key = pem(type, 'public', options);
      expect(loadConfig({ JWT_PUBLIC_KEY: key, JWT_AUDIENCE: 'parley' }).jwt.external).toEqual({
        kind: 'public-key',
        pem: key.trim(),
        algorithm,
      });
    });

    it('JWT_PUBLIC_KEY written on one line with literal \\n escapes', () => {
      const key = pem('ed25519');
      const oneLine = key.trim().replace(/\n/g, '\\n');
      expect(oneLine).not.toContain('\n');
      expect(loadConfig({ JWT_PUBLIC_KEY: oneLine, JWT_AUDIENCE: 'parley' }).jwt.external).toEqual({
        kind: 'public-key',
        pem: key.trim(),
        algorithm: 'EdDSA',
      });
    });

    it.each(['https://id.example/.well-known/jwks.json', 'http://127.0.0.1:8080/jwks'])('JWKS_URL %s', (url) => {
      const config = loadConfig({ JWKS_URL: url, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'parley' });
      expect(config.jwt).toMatchObject({
        external: { kind: 'jwks', url },
        issuer: 'https://id.example',
        audience: 'parley',
      });
    });

    it.each([{ JWKS_URL: 'https://id.example/jwks' }, { JWT_PUBLIC_KEY: pem('ed25519') }])(
      '%o with JWT_AUDIENCE=* accepts any audience: none is required or issued',
      (provider) => {
        expect(loadConfig({ ...provider, JWT_AUDIENCE: ' * ' }).jwt.audience).toBeUndefined();
      },
    );

    it.each([{ JWKS_URL: 'https://id.example/jwks' }, { JWT_PUBLIC_KEY: pem('ed25519') }])(
      'PostgreSQL needs no JWT_SECRET when %o names a provider',
      (provider) => {
        const config = loadConfig({ DATABASE_URL: 'postgres://db/parley', JWT_AUDIENCE: 'parley', ...provider });
        expect(config.jwt.secret).toBeUndefined();
        expect(config.jwt.external).toBeDefined();
      },
    );
  });

  describe('every bad value raises a ConfigError naming its variable', () => {
    it.each(['abc', '-1', '70000', '80.5'])('PORT %s', (value) => {
      expect(expectOneProblem({ PORT: value }, 'PORT')).toContain(`(got "${value}")`);
    });

    it.each(['mysql://x', 'not a url', 'http://db/parley'])('DATABASE_URL %s', (value) => {
      const problem = expectOneProblem({ DATABASE_URL: value, JWT_SECRET: SECRET }, 'DATABASE_URL');
      // URLs may carry a password: never echoed.
      expect(problem).not.toContain(value);
    });

    it.each(['http://x', 'not a url'])('REDIS_URL %s', (value) => {
      expect(expectOneProblem({ REDIS_URL: value }, 'REDIS_URL')).not.toContain(value);
    });

    it('JWT_SECRET shorter than 32 characters, without echoing it', () => {
      const problem = expectOneProblem({ JWT_SECRET: 'short-secret' }, 'JWT_SECRET');
      expect(problem).not.toContain('short-secret');
    });

    it('ADMIN_TOKEN shorter than 32 characters, without echoing it', () => {
      const problem = expectOneProblem({ ADMIN_TOKEN: 'short-admin-token' }, 'ADMIN_TOKEN');
      expect(problem).not.toContain('short-admin-token');
    });

    it('MODERATOR_IDS that are not uuids', () => {
      expectOneProblem({ MODERATOR_IDS: `${randomUUID()},alice` }, 'MODERATOR_IDS');
    });

    it('MODERATOR_ROLE_CLAIM without its value, or without an external provider', () => {
      expectOneProblem({ MODERATOR_ROLE_CLAIM: 'roles' }, 'MODERATOR_ROLE_CLAIM');
      expectOneProblem({ MODERATOR_ROLE_CLAIM: 'roles', MODERATOR_ROLE_VALUE: 'moderator' }, 'MODERATOR_ROLE_CLAIM');
    });

    it.each([
      [{ WEBHOOK_ALLOW_PRIVATE: 'yes' }, 'WEBHOOK_ALLOW_PRIVATE'],
      [{ WEBHOOK_MAX_ATTEMPTS: '0' }, 'WEBHOOK_MAX_ATTEMPTS'],
      [{ WEBHOOK_RETRY_BASE_MS: 'soon' }, 'WEBHOOK_RETRY_BASE_MS'],
      [{ VAPID_SUBJECT: 'admin@example.com' }, 'VAPID_SUBJECT'],
      [{ VAPID_PUBLIC_KEY: 'B'.repeat(87) }, 'VAPID_PUBLIC_KEY'],
      [{ VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: 'p'.repeat(43) }, 'VAPID_PUBLIC_KEY'],
    ])('%o', (env, variable) => {
      expectOneProblem(env, variable);
    });

    it('LOG_LEVEL loud', () => {
      expectOneProblem({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    });

    it.each(['0', '-3', 'many', '2.5', '60001'])('MAX_MESSAGE_LENGTH %s', (value) => {
      expect(expectOneProblem({ MAX_MESSAGE_LENGTH: value }, 'MAX_MESSAGE_LENGTH')).toContain(`"${value}"`);
    });

    it.each([
      'RATE_LIMIT_MESSAGES_PER_SECOND',
      'RATE_LIMIT_MESSAGE_BURST',
      'RATE_LIMIT_EVENTS_PER_SECOND',
      'RATE_LIMIT_EVENT_BURST',
      'RATE_LIMIT_READS_PER_SECOND',
      'RATE_LIMIT_READ_BURST',
      'MAX_CONCURRENT_REQUESTS_PER_USER',
      'MAX_CONNECTIONS_PER_USER',
      'RATE_LIMIT_AUTH_PER_IP',
      'RATE_LIMIT_LOGIN_FAILURES',
      'RATE_LIMIT_CHATS_PER_MINUTE',
      'RATE_LIMIT_USER_SEARCHES_PER_MINUTE',
    ])('%s that is not a whole number from 1 to 1000000', (variable) => {
      // A burst is checked against its rate only when both are valid numbers.
      for (const value of ['0', '-1', 'lots', '1.5', '1000001']) {
        expect(expectOneProblem({ [variable]: value }, variable)).toContain(`"${value}"`);
      }
    });

    it('MAX_WAITING_REQUESTS_PER_USER that is not a whole number from 0 to 1000000', () => {
      for (const value of ['-1', 'lots', '1.5', '1000001']) {
        expect(expectOneProblem({ MAX_WAITING_REQUESTS_PER_USER: value }, 'MAX_WAITING_REQUESTS_PER_USER')).toContain(
          `"${value}"`,
        );
      }
    });

    it.each(['-1', 'lots', '2.5', '1000001'])('RATE_LIMIT_ABUSE_REFUSALS %s', (value) => {
      expect(expectOneProblem({ RATE_LIMIT_ABUSE_REFUSALS: value }, 'RATE_LIMIT_ABUSE_REFUSALS')).toContain(
        `from 0 to 1000000 (got "${value}")`,
      );
    });

    it.each(['0', '-1', 'lots', '2.5', '86401'])('RATE_LIMIT_ABUSE_COOLDOWN_SECONDS %s', (value) => {
      expect(
        expectOneProblem({ RATE_LIMIT_ABUSE_COOLDOWN_SECONDS: value }, 'RATE_LIMIT_ABUSE_COOLDOWN_SECONDS'),
      ).toContain(`from 1 to 86400 (got "${value}")`);
    });

    it.each(['-1', 'lots', '2.5', '1000001'])('PRESENCE_MAX_CHAT_MEMBERS %s', (value) => {
      expect(expectOneProblem({ PRESENCE_MAX_CHAT_MEMBERS: value }, 'PRESENCE_MAX_CHAT_MEMBERS')).toContain(
        `from 0 to 1000000 (got "${value}")`,
      );
    });

    it('RATE_LIMIT_READ_BYTES_PER_SECOND below 1 KiB or above 1 TiB', () => {
      for (const value of ['0', '1023', 'lots', '2.5', String(2 ** 40 + 1)]) {
        expect(
          expectOneProblem({ RATE_LIMIT_READ_BYTES_PER_SECOND: value }, 'RATE_LIMIT_READ_BYTES_PER_SECOND'),
        ).toContain(`"${value}"`);
      }
    });

    it('MAX_QUEUED_BYTES_PER_CONNECTION below 1 KiB or above 1 GiB', () => {
      for (const value of ['0', '1023', 'lots', '2.5', String(2 ** 30 + 1)]) {
        expect(
          expectOneProblem({ MAX_QUEUED_BYTES_PER_CONNECTION: value }, 'MAX_QUEUED_BYTES_PER_CONNECTION'),
        ).toContain(`"${value}"`);
      }
    });

    it.each(['16', '10', '0', '21', 'strong', '17.5'])(
      'PASSWORD_SCRYPT_LOG2_N %s: below OWASP’s 2^17, above 2^20 (1 GiB per hash) or not a number',
      (value) => {
        expect(expectOneProblem({ PASSWORD_SCRYPT_LOG2_N: value }, 'PASSWORD_SCRYPT_LOG2_N')).toContain(
          'from 17 to 20',
        );
      },
    );

    it.each(['0', '65', 'many'])('PASSWORD_HASH_CONCURRENCY %s', (value) => {
      expectOneProblem({ PASSWORD_HASH_CONCURRENCY: value }, 'PASSWORD_HASH_CONCURRENCY');
    });

    it('a burst below its sustained rate', () => {
      expectOneProblem({ RATE_LIMIT_MESSAGES_PER_SECOND: '30' }, 'RATE_LIMIT_MESSAGE_BURST');
      expectOneProblem({ RATE_LIMIT_EVENTS_PER_SECOND: '20', RATE_LIMIT_EVENT_BURST: '19' }, 'RATE_LIMIT_EVENT_BURST');
      expectOneProblem({ RATE_LIMIT_READS_PER_SECOND: '101' }, 'RATE_LIMIT_READ_BURST');
    });

    it.each(['chat.example.com', 'https://chat.example.com/app', 'ftp://chat.example.com', '*'])(
      'CORS_ORIGINS %s',
      (value) => {
        expectOneProblem({ CORS_ORIGINS: `https://ok.example.com,${value}` }, 'CORS_ORIGINS');
      },
    );

    it.each(['yes', 'proxy.internal', '-1'])('TRUST_PROXY %s', (value) => {
      expectOneProblem({ TRUST_PROXY: value }, 'TRUST_PROXY');
    });

    it('REDIS_PREFIX with spaces', () => {
      expectOneProblem({ REDIS_PREFIX: 'my prefix' }, 'REDIS_PREFIX');
    });

    it.each(['postgres://db/parley', 'postgresql://db/parley'])('DATABASE_URL %s without JWT_SECRET', (url) => {
      expectOneProblem({ DATABASE_URL: url }, 'JWT_SECRET');
      expectOneProblem({ DATABASE_URL: url, JWT_SECRET: '   ' }, 'JWT_SECRET');
    });

    it.each([
      ['not a key at all', 'hello'],
      [
        'a truncated PEM',
        '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----',
      ],
      ['a private key', pem('ed25519', 'private')],
      ['an RSA key under 2048 bits', pem('rsa', 'public', { modulusLength: 1024 })],
      ['a P-384 key (only P-256 / ES256)', pem('ec', 'public', { namedCurve: 'P-384' })],
    ])('JWT_PUBLIC_KEY that is %s, without echoing it', (_label, value) => {
      const problem = expectOneProblem({ JWT_PUBLIC_KEY: value, JWT_AUDIENCE: 'parley' }, 'JWT_PUBLIC_KEY');
      expect(problem).not.toContain('MII');
      expect(problem).not.toContain('hello');
    });

    it.each(['ftp://id.example/jwks', 'not a url', 'id.example/jwks'])('JWKS_URL %s, without echoing it', (value) => {
      expect(expectOneProblem({ JWKS_URL: value, JWT_AUDIENCE: 'parley' }, 'JWKS_URL')).not.toContain(value);
    });

    it.each([{ JWKS_URL: 'https://id.example/jwks' }, { JWT_PUBLIC_KEY: pem('ed25519') }])(
      'an external provider %o without JWT_AUDIENCE (a token minted for another application would do)',
      (provider) => {
        for (const audience of [undefined, '  ']) {
          const problem = expectOneProblem({ ...provider, JWT_AUDIENCE: audience }, 'JWT_AUDIENCE');
          expect(problem).toContain('*');
          expect(problem).not.toContain('id.example');
        }
      },
    );

    it('JWT_PUBLIC_KEY and JWKS_URL together', () => {
      const problem = expectOneProblem(
        { JWT_PUBLIC_KEY: pem('ed25519'), JWKS_URL: 'https://id.example/jwks', JWT_AUDIENCE: 'parley' },
        'JWKS_URL',
      );
      expect(problem).toContain('JWT_PUBLIC_KEY');
      expect(problem).not.toContain('id.example');
    });
  });

  it('reports several bad values at once, one problem each', () => {
    const { problems, message } = configError({
      PORT: 'abc',
      DATABASE_URL: 'postgres://db/parley',
      REDIS_URL: 'http://x',
      LOG_LEVEL: 'loud',
      MAX_MESSAGE_LENGTH: '0',
      JWT_TTL: 'never',
      JWKS_URL: 'ftp://id.example/jwks',
      JWT_SECRET: 'short',
    });
    const named = problems.map((problem) => problem.split(' ')[0]);
    expect(named.sort()).toEqual([
      'JWKS_URL',
      'JWT_AUDIENCE',
      'JWT_SECRET',
      'JWT_TTL',
      'LOG_LEVEL',
      'MAX_MESSAGE_LENGTH',
      'PORT',
      'REDIS_URL',
    ]);
    expect(message.split('\n')).toEqual(problems);
  });
});

// ---- the real entry point --------------------------------------------------------------------

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/**
 * `node --import tsx src/main.ts` with exactly `env` (plus PATH), as an operator would start it;
 * `preload` adds a module of the test's own (`--import`) before the entry point.
 */
function startEntryPoint(env: Record<string, string>, preload?: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', ...(preload ? ['--import', preload] : []), 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

describe('start-up with bad configuration', () => {
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
  });

  it('PORT=abc: exit code 2 and one line naming PORT, no stack trace', async () => {
    const run = startEntryPoint({ PORT: 'abc', DATABASE_URL: 'memory://' });
    expect(await run.exited).toEqual({ code: 2, signal: null });
    const lines = run.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\bPORT\b/);
    expect(lines[0]).toContain('abc');
    expect(run.stderr()).not.toMatch(/^\s+at /m);
    expect(run.stdout()).not.toContain('listening');
  });

  it('three bad variables: exactly three lines, one naming each', async () => {
    const run = startEntryPoint({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'postgres://db/parley' });
    expect((await run.exited).code).toBe(2);
    const lines = run.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const variable of ['PORT', 'LOG_LEVEL', 'JWT_SECRET']) {
      expect(lines.filter((line) => new RegExp(`\\b${variable}\\b`).test(line))).toHaveLength(1);
    }
    expect(run.stderr()).not.toMatch(/^\s+at /m);
    expect(run.stderr()).not.toMatch(/Error:/);
  });
});

describe('start-up with good configuration', () => {
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
  });

  it('logs "Parley listening on", answers /health and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const run = startEntryPoint({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: 'memory://',
      JWT_SECRET: SECRET,
    });
    await waitFor(
      () => run.stdout().includes('Parley listening on') || run.child.exitCode !== null,
      45_000,
      'start-up',
    );
    expect(run.child.exitCode).toBeNull();
    expect(run.stdout()).toContain(`Parley listening on http://127.0.0.1:${port}`);

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);

    const stoppedAt = Date.now();
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    expect(run.stderr()).toBe('');
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  }, 60_000);

  it('logs JSON lines with request and socket ids and the user id, but never a token or a password', async () => {
    const port = await freePort();
    const run = startEntryPoint({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: 'memory://',
      JWT_SECRET: SECRET,
      LOG_LEVEL: 'trace',
    });
    await waitFor(
      () => run.stdout().includes('Parley listening on') || run.child.exitCode !== null,
      45_000,
      'start-up',
    );
    const url = `http://127.0.0.1:${port}`;
    const password = `secret-password-${randomUUID()}`;
    const credentials = {
      email: `log-${randomUUID()}@example.com`,
      username: `log_${randomUUID().slice(0, 8)}`,
      password,
    };
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const registered = (await (await post('/auth/register', credentials)).json()) as {
      accessToken: string;
      user: { id: string };
    };
    await post('/auth/login', { email: credentials.email, password: 'wrong-password-here' });
    await post('/auth/login', { email: credentials.email, password });
    await fetch(`${url}/users/me`, { headers: { authorization: `Bearer ${registered.accessToken}` } });
    const socket = ioClient(url, {
      transports: ['websocket'],
      auth: { token: registered.accessToken },
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject));
    await socket.timeout(5_000).emitWithAck('get_chat_messages', { chatId: 'nope' });
    socket.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    run.child.kill('SIGTERM');
    await run.exited;

    const out = run.stdout();
    expect(out).not.toContain(registered.accessToken);
    // Not even a piece of the token (its signature) or the password.
    expect(out).not.toContain(registered.accessToken.split('.')[2]);
    expect(out).not.toContain(password);
    expect(out).not.toContain('wrong-password-here');
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => typeof line.reqId === 'string' && line.userId === registered.user.id)).toBe(true);
    expect(lines.some((line) => typeof line.socketId === 'string' && line.userId === registered.user.id)).toBe(true);
  }, 60_000);
});

describe('start-up: the WebAssembly compiler for PGlite', () => {
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
  });
  const reportSetup = './test/helpers/report-webassembly-setup.ts';

  /** The preload's lines, in order (see test/helpers/report-webassembly-setup.ts). */
  const reported = (run: Run) =>
    run
      .stderr()
      .split('\n')
      .filter((line) => /^(v8 flags|webassembly): /.test(line));

  it('on PGlite (memory://), turns off the baseline compiler before PostgreSQL is compiled', async () => {
    const port = await freePort();
    const run = startEntryPoint(
      { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: 'memory://', JWT_SECRET: SECRET },
      reportSetup,
    );
    await waitFor(
      () => run.stdout().includes('Parley listening on') || run.child.exitCode !== null,
      45_000,
      'start-up',
    );
    expect(run.child.exitCode).toBeNull();
    // PGlite compiles PostgreSQL, then initdb's module for a new database: both after the flag.
    expect(reported(run)[0]).toBe('v8 flags: --no-liftoff');
    expect(reported(run).slice(1)).toContain('webassembly: large module compiled');
    expect(reported(run).filter((line) => line.startsWith('v8 flags'))).toHaveLength(1);
  }, 60_000);

  it('on PostgreSQL, leaves V8 as it is', async () => {
    const run = startEntryPoint({ DATABASE_URL: 'postgres://127.0.0.1:1/parley', JWT_SECRET: SECRET }, reportSetup);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('could not start');
    expect(reported(run)).toEqual([]);
  }, 60_000);
});
