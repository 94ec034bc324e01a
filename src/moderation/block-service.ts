import { AppError, TEXTS } from '../errors.js';
import { MAX_BLOCKS_PER_USER } from '../protocol/schemas.js';
import type { PublicUser } from '../protocol/types.js';
import type { Store } from '../store/store.js';
import { failValidation } from '../validation.js';

/**
 * A user's blocks (README "Blocking and reporting"): a blocked user gets no new direct chat with
 * the blocker (either of them asking), and their messages to the pair's direct chat are refused
 * (the chat store and the send check them). Group chats are unaffected.
 */
export class BlockService {
  constructor(private readonly store: Store) {}

  /** Blocks a live account; at most MAX_BLOCKS_PER_USER. Blocking again answers the same. */
  async block(userId: string, blockedId: string): Promise<void> {
    if (blockedId === userId) failValidation(TEXTS.selfBlock, 'id');
    const outcome = await this.store.blocks.block(userId, blockedId, MAX_BLOCKS_PER_USER);
    if (outcome === 'unknown_user') throw new AppError('NOT_FOUND', TEXTS.unknownUser, 'id');
    if (outcome === 'too_many') failValidation(TEXTS.tooManyBlocks, 'id');
  }

  /** Ends a block, if there is one. */
  unblock(userId: string, blockedId: string): Promise<void> {
    return this.store.blocks.unblock(userId, blockedId);
  }

  /** The users `userId` has blocked, most recent first. */
  blocked(userId: string): Promise<(PublicUser & { blockedAt: string })[]> {
    return this.store.blocks.listBlocked(userId);
  }
}
