import { z } from 'zod';

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
  database:
    | { kind: 'pglite'; dataDir: string }
    | { kind: 'memory' }
    | { kind: 'postgres'; url: string };
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
    audience: string | undefined;
    /** Lifetime of the tokens this server issues, in seconds. @default 3600 */
    ttlSeconds: number;
  };
  /** Longest message text, in characters (code points) after trimming. @default 4000 */
  maxMessageLength: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
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
  // External identity providers are planned (issue 5); until then, refuse rather than ignore them.
  JWT_PUBLIC_KEY: optionalText.refine((v) => v === undefined, { message: 'is not supported yet: use JWT_SECRET' }),
  JWKS_URL: optionalText.refine((v) => v === undefined, { message: 'is not supported yet: use JWT_SECRET' }),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  JWT_TTL: optionalText
    .transform((v) => (v === undefined ? 3600 : parseDuration(v)))
    .refine((v) => v !== undefined, { message: 'must be a duration such as 3600, 15m, 1h or 7d' }),
  MAX_MESSAGE_LENGTH: optionalText
    .transform((v) => (v === undefined ? 4000 : Number(v)))
    .refine((n) => Number.isInteger(n) && n >= 1 && n <= 60_000, {
      message: 'must be a whole number from 1 to 60000',
    }),
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
        const shown = value === undefined || /SECRET|KEY|URL/.test(variable) ? '' : ` (got "${value}")`;
        return `${variable} ${issue.message}${shown}`;
      });
  // Checked on the raw values, even when other variables are bad, so that one start-up reports
  // every problem instead of revealing them one fix at a time.
  if (/^\s*postgres(ql)?:/i.test(env.DATABASE_URL ?? '') && !env.JWT_SECRET?.trim()) {
    problems.push('JWT_SECRET is required when DATABASE_URL points to PostgreSQL (every node must share it)');
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
      audience: e.JWT_AUDIENCE,
      ttlSeconds: e.JWT_TTL!,
    },
    maxMessageLength: e.MAX_MESSAGE_LENGTH,
    logLevel: e.LOG_LEVEL,
  };
}
