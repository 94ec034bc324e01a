import type { LoginBody, RegisterBody } from '../protocol/schemas.js';
import type { PublicUser } from '../protocol/types.js';
import { AppError, TEXTS } from '../errors.js';
import type { Store } from '../store/store.js';
import { UniqueViolation } from '../store/users.js';
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
}

/** Accounts and who is calling: registration, login, and token → user. */
export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
    private readonly passwords: PasswordHasher,
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
   * Unknown user and wrong password fail alike, in the same time. A password stored with older
   * hashing parameters is hashed again with the current ones once it has been proven right.
   */
  async login(body: LoginBody): Promise<Session> {
    this.requireTokenIssuing();
    const record = await this.store.users.findUserForLogin('email' in body ? { email: body.email } : { username: body.username });
    const valid = await this.passwords.verify(body.password, record?.passwordHash ?? (await this.passwords.decoyHash()));
    if (!record || !record.passwordHash || !valid) throw new AppError('UNAUTHORIZED', TEXTS.badCredentials);
    if (this.passwords.needsRehash(record.passwordHash)) {
      await this.store.users.replacePasswordHash(record.id, record.passwordHash, await this.passwords.hash(body.password));
    }
    const user = { id: record.id, email: record.email, username: record.username };
    return { user, accessToken: await this.tokens.issue(user.id) };
  }

  /** A raw token or `Bearer …` header → its (still existing) user. Throws UNAUTHORIZED. */
  async authenticate(credential: unknown): Promise<Authenticated> {
    const token = bearerToken(credential);
    if (!token) throw new AppError('UNAUTHORIZED');
    const { userId, expiresAt, external } = await this.tokens.verify(token);
    if (external) {
      // The provider vouches for the user: the first token creates them, later ones find them.
      const user = await this.store.users.findOrCreateExternalUser({ externalId: userId, ...external });
      return { user, expiresAt };
    }
    const user = await this.store.users.findUserById(userId);
    if (!user) throw new AppError('UNAUTHORIZED', TEXTS.unknownUser);
    return { user, expiresAt };
  }

  /** With an external provider and no JWT_SECRET this server issues no tokens: say so up front. */
  private requireTokenIssuing(): void {
    if (!this.tokens.issuesTokens) throw new AppError('FORBIDDEN', TEXTS.passwordLoginDisabled);
  }
}
