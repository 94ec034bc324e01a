import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { Config } from '../config.js';
import { AppError, TEXTS } from '../errors.js';

/** HS256 only: pinning the algorithm is what makes `alg: none` and key confusion fail. */
const ALGORITHM = 'HS256';

export interface VerifiedToken {
  userId: string;
  /** Expiry, in ms since the epoch. */
  expiresAt: number;
}

export class TokenService {
  private constructor(
    private readonly key: Uint8Array,
    private readonly jwt: Config['jwt'],
  ) {}

  /**
   * Uses JWT_SECRET, or — embedded mode only — a secret generated once and kept in DATA_DIR (or in
   * memory for `memory://`), so that `npm start` needs no configuration.
   */
  static async create(config: Config, warn: (message: string) => void): Promise<TokenService> {
    if (config.jwt.secret) return new TokenService(new TextEncoder().encode(config.jwt.secret), config.jwt);
    if (config.database.kind === 'memory') {
      warn('JWT_SECRET is not set: using a random secret for this process; tokens die with it');
      return new TokenService(randomBytes(32), config.jwt);
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
    return new TokenService(new TextEncoder().encode(secret), config.jwt);
  }

  async issue(userId: string): Promise<string> {
    let token = new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.jwt.ttlSeconds}s`);
    if (this.jwt.issuer) token = token.setIssuer(this.jwt.issuer);
    if (this.jwt.audience) token = token.setAudience(this.jwt.audience);
    return token.sign(this.key);
  }

  /** Checks signature, algorithm, exp, nbf, iss and aud; throws UNAUTHORIZED saying why. */
  async verify(token: string): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        requiredClaims: ['exp'],
        ...(this.jwt.issuer ? { issuer: this.jwt.issuer } : {}),
        ...(this.jwt.audience ? { audience: this.jwt.audience } : {}),
      });
      const userId = [payload.sub, payload.id, payload.userId].find((claim) => claim !== undefined);
      if (typeof userId !== 'string' || userId.length === 0 || userId.length > 100) {
        throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
      }
      return { userId, expiresAt: payload.exp! * 1000 };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AppError('UNAUTHORIZED', TEXTS.expiredToken);
      throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
    }
  }
}

/** "Bearer abc", "bearer abc" or "abc" → "abc"; anything else → undefined. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const token = value.replace(/^\s*bearer\s+/i, '').trim();
  return token.length > 0 && token.length <= 8192 ? token : undefined;
}
