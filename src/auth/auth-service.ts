import type { LoginBody, RegisterBody } from '../protocol/schemas.js';
import type { PublicUser } from '../protocol/types.js';
import { AppError, TEXTS } from '../errors.js';
import { failValidation } from '../validation.js';
import type { Store } from '../store/store.js';
import { UniqueViolation, type Account, type UserRecord } from '../store/users.js';
import { botKeyHash, isBotKey } from './bot-keys.js';
import type { PasswordHasher } from './passwords.js';
import { bearerToken, type TokenService } from './tokens.js';

export interface Session {
  user: PublicUser;
  accessToken: string;
}

export interface Authenticated {
  user: PublicUser;
  /** When the token stops being valid, in ms since the epoch. */
  expiresAt: number;
  /** When the token was issued, in ms since the epoch (undefined: it does not say, or a bot's key). */
  issuedAt: number | undefined;
  /** Allowed the `/moderation/...` routes (MODERATOR_IDS, or the provider's role claim). */
  moderator: boolean;
}

/** When a bot's key stops being valid: never, unless revoked (far enough to never fire, small enough to serialise). */
const BOT_KEY_EXPIRES_AT = Number.MAX_SAFE_INTEGER;

/**
 * How recent a token must be to stand in for the password of an account that has none here (one
 * from the external provider) when the account is deleted: the user has just signed in again.
 */
export const FRESH_TOKEN_MS = 5 * 60_000;
/** How far in the future a fresh token's `iat` may be: the provider's clock may run ahead of ours. */
const CLOCK_SKEW_MS = 60_000;

/**
 * The budget of failed password checks per account (RateLimits): an attempt is taken before the
 * password is checked, refused (RATE_LIMITED) once the budget is spent; a success clears it, and
 * an attempt that ended for another reason than a wrong password is given back.
 */
export interface LoginFailureBudget {
  loginAttempt(account: string): Promise<void>;
  loginSucceeded(account: string): Promise<void>;
  loginNotCounted(account: string): Promise<void>;
}

/** Accounts and who is calling: registration, login, and token → user. */
export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly passwords: PasswordHasher,
    private readonly failures: LoginFailureBudget,
    /** MODERATOR_IDS. */
    private readonly moderatorIds: ReadonlySet<string> = new Set(),
  ) {}

  async register(body: RegisterBody): Promise<Session> {
    this.requireTokenIssuing();
    const passwordHash = await this.passwords.hash(body.password);
    try {
      const user = await this.store.users.createUser({ email: body.email, username: body.username, passwordHash });
      return { user, accessToken: await this.tokens.issue(user.id) };
    } catch (error) {
      if (error instanceof UniqueViolation) {
        throw new AppError('CONFLICT', error.field === 'email' ? TEXTS.emailTaken : TEXTS.usernameTaken, error.field);
      }
      throw error;
    }
  }

  /**
   * Unknown user and wrong password fail alike, in the same time. Failures are counted per
   * account whatever identifier was typed (its email or its username: one budget, not two), and
   * per identifier when it names no account, so that unknown ones are limited alike. A password
   * stored with older hashing parameters is hashed again with the current ones once proven right.
   */
  async login(body: LoginBody): Promise<Session> {
    this.requireTokenIssuing();
    const record = await this.store.users.findUserForLogin(
      'email' in body ? { email: body.email } : { username: body.username },
    );
    const account = record
      ? accountOf(record.id)
      : 'email' in body
        ? `email:${body.email}`
        : `username:${body.username.toLowerCase()}`;
    const user = await this.checkPassword(account, body.password, record);
    // Told only to whoever knows the password.
    if (record!.banned) throw bannedAccount();
    return { user, accessToken: await this.tokens.issue(user.id) };
  }

  /**
   * A raw token or `Bearer …` header — or a bot's API key — to its (still existing) user. Throws
   * UNAUTHORIZED, or BANNED for an account a moderator has banned. `admit`, when given, may refuse
   * the user by throwing: it is called with the user's id as soon as it is known — for a token of
   * this server before the database is asked, so that a refused user (one cut off, say,
   * reconnecting in a loop) costs a signature check and no query.
   */
  async authenticate(credential: unknown, admit?: (userId: string) => void): Promise<Authenticated> {
    const token = bearerToken(credential);
    if (!token) throw new AppError('UNAUTHORIZED');
    if (isBotKey(token)) {
      const bot = await this.store.bots.findByKey(botKeyHash(token));
      if (!bot) throw new AppError('UNAUTHORIZED', TEXTS.invalidToken);
      admit?.(bot.user.id);
      return this.signedIn(bot, { expiresAt: BOT_KEY_EXPIRES_AT, issuedAt: undefined, moderator: false });
    }
    const { userId, expiresAt, issuedAt, external } = await this.tokens.verify(token);
    if (!external) admit?.(userId);
    // The provider vouches for the user: the first token creates them, later ones find them (a
    // deleted account's subject finds nobody).
    const account = external
      ? await this.store.users.findOrCreateExternalUser({ externalId: userId, ...external })
      : await this.store.users.findAccount(userId);
    if (external && account) admit?.(account.user.id);
    return this.signedIn(account, { expiresAt, issuedAt, moderator: external?.moderator ?? false });
  }

  /** An account found for a credential, refused when it is gone or banned. */
  private signedIn(account: Account | undefined, grant: Omit<Authenticated, 'user'>): Authenticated {
    if (!account) throw new AppError('UNAUTHORIZED', TEXTS.unknownUser);
    if (account.banned) throw bannedAccount();
    const { user } = account;
    return { user, ...grant, moderator: grant.moderator || this.moderatorIds.has(user.id) };
  }

  /**
   * Before the account is deleted: the caller proves it is its owner, not just someone holding
   * its token — with the account's password (a wrong one is FORBIDDEN and spends the account's
   * login failure budget, so a stolen token cannot be used to guess it), or, for an account that
   * has no password here (from the external provider), with a token issued in the last
   * FRESH_TOKEN_MS.
   */
  async confirmOwner(
    userId: string,
    proof: { password: string | undefined; tokenIssuedAt: number | undefined },
  ): Promise<void> {
    const record = await this.store.users.findUserForLogin({ id: userId });
    if (!record) throw new AppError('UNAUTHORIZED', TEXTS.unknownUser);
    if (record.passwordHash) {
      if (proof.password === undefined) failValidation(TEXTS.passwordRequired, 'password');
      try {
        await this.checkPassword(accountOf(userId), proof.password, record);
      } catch (error) {
        throw error instanceof AppError && error.code === 'UNAUTHORIZED'
          ? new AppError('FORBIDDEN', TEXTS.wrongPassword)
          : error;
      }
      return;
    }
    const age = proof.tokenIssuedAt === undefined ? Infinity : Date.now() - proof.tokenIssuedAt;
    if (age > FRESH_TOKEN_MS || age < -CLOCK_SKEW_MS) throw new AppError('FORBIDDEN', TEXTS.staleToken);
  }

  /**
   * Checks `password` against `record` (a decoy hash when there is none, so that both failures
   * take the same time), spending one attempt of `account`'s failure budget first: neither a
   * locked account nor a burst of concurrent guesses gets a password checked past the limit.
   * A right password stored with older hashing parameters is stored again with the current ones.
   * Throws UNAUTHORIZED for a wrong password.
   */
  private async checkPassword(account: string, password: string, record: UserRecord | undefined): Promise<PublicUser> {
    await this.failures.loginAttempt(account);
    try {
      const valid = await this.passwords.verify(password, record?.passwordHash ?? (await this.passwords.decoyHash()));
      if (!record || !record.passwordHash || !valid) throw new AppError('UNAUTHORIZED', TEXTS.badCredentials);
      await this.failures.loginSucceeded(account);
      if (this.passwords.needsRehash(record.passwordHash)) {
        await this.store.users.replacePasswordHash(record.id, record.passwordHash, await this.passwords.hash(password));
      }
      return { id: record.id, email: record.email, username: record.username };
    } catch (error) {
      // Only a wrong password spends the budget; an outage does not.
      if (!(error instanceof AppError && error.code === 'UNAUTHORIZED')) await this.failures.loginNotCounted(account);
      throw error;
    }
  }

  /** With an external provider and no JWT_SECRET this server issues no tokens: say so up front. */
  private requireTokenIssuing(): void {
    if (!this.tokens.issuesTokens) throw new AppError('FORBIDDEN', TEXTS.passwordLoginDisabled);
  }
}

const bannedAccount = () => new AppError('BANNED');

/** The failure budget's key of an account, whichever of its names was typed. */
const accountOf = (userId: string) => `account:${userId}`;
