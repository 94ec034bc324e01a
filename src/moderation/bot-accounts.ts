import { newBotKey } from '../auth/bot-keys.js';
import type { ChatChanges } from '../chat/chat-changes.js';
import { AppError, TEXTS } from '../errors.js';
import type { PublicUser } from '../protocol/types.js';
import type { BotSummary } from '../store/bots.js';
import type { Store } from '../store/store.js';
import { UniqueViolation } from '../store/users.js';

/**
 * Bot accounts, made and keyed by operators (README "Bots"). A key is shown once, when made; the
 * server keeps only its digest. Revoking a bot's keys ends its sessions on every node at once.
 */
export class BotAccounts {
  constructor(
    private readonly store: Store,
    private readonly changes: ChatChanges,
  ) {}

  /** A new bot named `username` (a user's rules; taken → CONFLICT) and its first key. */
  async create(username: string): Promise<{ bot: PublicUser; apiKey: string }> {
    const { key, hash } = newBotKey();
    try {
      return { bot: await this.store.bots.createBot(username, hash), apiKey: key };
    } catch (error) {
      if (error instanceof UniqueViolation) throw new AppError('CONFLICT', TEXTS.usernameTaken, 'username');
      throw error;
    }
  }

  list(): Promise<BotSummary[]> {
    return this.store.bots.listBots();
  }

  /** One more key for a bot (its others keep working): to rotate keys, add one, switch, revoke. */
  async addKey(botId: string): Promise<string> {
    const { key, hash } = newBotKey();
    if (!(await this.store.bots.addKey(botId, hash))) throw new AppError('NOT_FOUND', TEXTS.unknownBot, 'id');
    return key;
  }

  /** Revokes every key of a bot: refused from now on, and its sockets closed on every node. */
  async revokeKeys(botId: string): Promise<void> {
    if (!(await this.store.bots.revokeKeys(botId))) throw new AppError('NOT_FOUND', TEXTS.unknownBot, 'id');
    this.changes.publish({ type: 'account_closed', userId: botId });
  }
}
