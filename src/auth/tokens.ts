import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  SignJWT,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { EXTERNAL_ALGORITHMS, type Config, type ExternalAlgorithm, type Moderators } from '../config.js';
import { AppError, TEXTS } from '../errors.js';
import { isStorableText } from '../protocol/schemas.js';

/**
 * This server's own tokens: HS256 only. Algorithms are pinned per key and the key is chosen by
 * the token's `alg` — HS256 goes to the secret and nothing else, RS256/ES256/EdDSA to the
 * provider's public key(s) and nothing else — so `alg: none` and HS/RS key confusion (an HS256
 * token "signed" with the provider's public key) cannot verify.
 */
const ALGORITHM = 'HS256';

/** How long a JWKS request may take before the token is answered UNAVAILABLE. */
const JWKS_TIMEOUT_MS = 5_000;

export interface VerifiedToken {
  /** Our own tokens: the user id. External ones: the provider's subject. */
  userId: string;
  /** Expiry, in ms since the epoch. */
  expiresAt: number;
  /** When it was issued (`iat`), in ms since the epoch; undefined when the token does not say. */
  issuedAt: number | undefined;
  /** Present for a token from the external identity provider: the claims a new user is made of. */
  external?: {
    email: string | undefined;
    username: string | undefined;
    /** The token carries the moderators' role claim (MODERATOR_ROLE_CLAIM / MODERATOR_ROLE_VALUE). */
    moderator: boolean;
  };
}

/** The external provider's key: a fixed public key, or a JWKS fetched (and cached) by jose. */
type ExternalKey =
  { key: KeyObject; algorithms: ExternalAlgorithm[] } | { key: JWTVerifyGetKey; algorithms: ExternalAlgorithm[] };

/** The JWKS could not be fetched or read: the token may well be good, so the caller may retry. */
class JwksUnavailable extends Error {}

export class TokenService {
  private constructor(
    /** Undefined: this server issues no tokens (an external provider without JWT_SECRET). */
    private readonly key: Uint8Array | undefined,
    private readonly jwt: Config['jwt'],
    /** The claim that makes an external token's user a moderator. */
    private readonly roleClaim: Moderators['roleClaim'],
    private readonly external: ExternalKey | undefined = externalKey(jwt),
  ) {}

  /**
   * Uses JWT_SECRET, or — embedded mode only, without an external provider — a secret generated
   * once and kept in DATA_DIR (or in memory for `memory://`), so that `npm start` needs no
   * configuration. With an external provider and no JWT_SECRET the provider is the only source
   * of identity: no token is issued here and password registration and login are refused.
   */
  static async create(config: Config, warn: (message: string) => void): Promise<TokenService> {
    if (config.jwt.secret)
      return new TokenService(new TextEncoder().encode(config.jwt.secret), config.jwt, config.moderators.roleClaim);
    if (config.jwt.external) return new TokenService(undefined, config.jwt, config.moderators.roleClaim);
    if (config.database.kind === 'memory') {
      warn('JWT_SECRET is not set: using a random secret for this process; tokens die with it');
      return new TokenService(randomBytes(32), config.jwt, config.moderators.roleClaim);
    }
    const file = path.join(config.dataDir, 'jwt-secret');
    let secret: string;
    try {
      secret = (await readFile(file, 'utf8')).trim();
    } catch {
      await mkdir(config.dataDir, { recursive: true });
      secret = randomBytes(48).toString('base64url');
      await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(async () => {
        secret = (await readFile(file, 'utf8')).trim(); // another process made it first
      });
    }
    warn(`JWT_SECRET is not set: using the development secret kept in ${file}; set JWT_SECRET in production`);
    return new TokenService(new TextEncoder().encode(secret), config.jwt, config.moderators.roleClaim);
  }

  /** Whether this server issues tokens (password registration and login). */
  get issuesTokens(): boolean {
    return this.key !== undefined;
  }

  async issue(userId: string): Promise<string> {
    if (!this.key) throw new AppError('FORBIDDEN', TEXTS.passwordLoginDisabled);
    let token = new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.jwt.ttlSeconds}s`);
    if (this.jwt.issuer) token = token.setIssuer(this.jwt.issuer);
    if (this.jwt.audience) token = token.setAudience(this.jwt.audience);
    return token.sign(this.key);
  }

  /**
   * Checks signature, algorithm, exp, nbf, iss and aud; throws UNAUTHORIZED saying why, or
   * UNAVAILABLE when the provider's JWKS cannot be fetched.
   */
  async verify(token: string): Promise<VerifiedToken> {
    try {
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
      }
      const options = {
        requiredClaims: ['exp'],
        ...(this.jwt.issuer ? { issuer: this.jwt.issuer } : {}),
        ...(this.jwt.audience ? { audience: this.jwt.audience } : {}),
      };
      let payload: JWTPayload;
      let external = false;
      if (alg === ALGORITHM && this.key) {
        ({ payload } = await jwtVerify(token, this.key, { ...options, algorithms: [ALGORITHM] }));
      } else if (this.external && this.external.algorithms.includes(alg as ExternalAlgorithm)) {
        const { key, algorithms } = this.external;
        // The overloads differ only in the key's type; both pin `algorithms`.
        ({ payload } =
          typeof key === 'function'
            ? await jwtVerify(token, key, { ...options, algorithms })
            : await jwtVerify(token, key, { ...options, algorithms }));
        external = true;
      } else {
        throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
      }
      const userId = [payload.sub, payload.id, payload.userId].find((claim) => claim !== undefined);
      if (typeof userId !== 'string' || userId.length === 0 || userId.length > 100) {
        throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
      }
      const issuedAt = typeof payload.iat === 'number' ? payload.iat * 1000 : undefined;
      const verified: VerifiedToken = { userId, expiresAt: payload.exp! * 1000, issuedAt };
      if (external) {
        const text = (claim: unknown) => (typeof claim === 'string' && claim.length <= 254 ? claim : undefined);
        verified.external = {
          email: text(payload.email),
          username: text(payload.preferred_username) ?? text(payload.username),
          moderator:
            this.roleClaim !== undefined && claimHolds(claimAt(payload, this.roleClaim.name), this.roleClaim.value),
        };
      }
      // Claims become database rows (a provider's user) or lookups: text PostgreSQL cannot store
      // makes the token unusable, as any other malformed claim does, instead of failing there.
      const claims = [userId, verified.external?.email, verified.external?.username];
      if (!claims.every((claim) => claim === undefined || isStorableText(claim)))
        throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
      return verified;
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof JwksUnavailable) throw new AppError('UNAVAILABLE');
      if (error instanceof joseErrors.JWTExpired) throw new AppError('UNAUTHORIZED', TEXTS.expiredToken);
      throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
    }
  }
}

function externalKey(jwt: Config['jwt']): ExternalKey | undefined {
  const provider = jwt.external;
  if (!provider) return undefined;
  if (provider.kind === 'public-key') {
    return { key: createPublicKey({ key: provider.pem, format: 'pem' }), algorithms: [provider.algorithm] };
  }
  const remote = createRemoteJWKSet(new URL(provider.url), { timeoutDuration: JWKS_TIMEOUT_MS });
  // A key the JWKS does not hold is a bad token; a JWKS that cannot be fetched or read is an outage.
  const key: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys)
        throw error;
      throw new JwksUnavailable('JWKS unavailable', { cause: error });
    }
  };
  return { key, algorithms: [...EXTERNAL_ALGORITHMS] };
}

/**
 * The claim `name`: a top-level claim of that name (Auth0's namespaced ones are URLs, dots and all),
 * else the dotted path into nested claims (Keycloak's `realm_access.roles`).
 */
function claimAt(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let value: unknown = payload;
  for (const key of name.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A role claim holds `value` when it is that string, or a list (as providers send roles) that holds it. */
function claimHolds(claim: unknown, value: string): boolean {
  return claim === value || (Array.isArray(claim) && claim.includes(value));
}

/** "Bearer abc", "bearer abc" or "abc" → "abc"; anything else → undefined. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const token = value.replace(/^\s*bearer\s+/i, '').trim();
  return token.length > 0 && token.length <= 8192 ? token : undefined;
}
