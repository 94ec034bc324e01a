import { createHash } from 'node:crypto';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type IRateLimiterOptions,
} from 'rate-limiter-flexible';
import type { Limits } from '../config.js';
import type { LimitName, Metrics } from '../observability/metrics.js';
import type { RedisClient } from '../redis.js';
import { RateLimitedError } from './rate-limited-error.js';

/**
 * How long the burst reserve of a token bucket takes to refill. A bucket of rate r and burst b is
 * built from two fixed-window limiters (rate-limiter-flexible's BurstyRateLimiter): r per second,
 * plus a reserve of b − r shared by this window. So a quiet client may send b at once, and nobody
 * sustains more than r + (b − r) / 10 per second.
 */
const BURST_WINDOW_SECONDS = 10;
/** The size an answer is charged from: smaller ones are left to the count of reads alone. */
export const ANSWER_BYTES_COUNTED_FROM = 16 * 1024;
/** Remembered refusals (RateLimits.take) past which the ended ones are swept. */
const REMEMBERED_REFUSALS_SWEPT_AT = 10_000;
/** Window of the per-address limit on login and registration. */
const AUTH_WINDOW_SECONDS = 60;
/** Window in which failed logins of one account are counted; a success clears it. */
const LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60;

export const RATE_LIMIT_TEXTS = {
  messages: 'Слишком много сообщений, попробуйте позже',
  events: 'Слишком много запросов, попробуйте позже',
  reads: 'Слишком много запросов на чтение, попробуйте позже',
  markRead: 'Слишком много отметок о прочтении, попробуйте позже',
  typing: 'Слишком много уведомлений о наборе текста, попробуйте позже',
  auth: 'Слишком много попыток входа или регистрации, попробуйте позже',
  login: 'Слишком много неудачных попыток входа в эту учётную запись, попробуйте позже',
  chats: 'Слишком много новых чатов и участников, попробуйте позже',
  userSearch: 'Слишком много запросов поиска пользователей, попробуйте позже',
  uploads: 'Слишком много загрузок файлов, попробуйте позже',
} as const;

interface Limiter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
}

/**
 * Every rate limit of the node, built with rate-limiter-flexible. Every limit is counted per user
 * (or per address, or per account), never per socket, so that more sockets buy no more: the
 * counters live in Redis when it is configured, so that every node counts together, and if Redis
 * does not answer they fall back to counting per node rather than refusing everyone.
 */
export class RateLimits {
  private readonly messages: Limiter;
  private readonly events: Limiter;
  private readonly reads: Limiter;
  private readonly readBytes: RateLimiterMemory | RateLimiterRedis;
  private readonly markReads: Limiter;
  private readonly typings: Limiter;
  private readonly authPerIp: Limiter;
  private readonly chatChanges: Limiter;
  private readonly loginFailures: RateLimiterMemory | RateLimiterRedis;
  private readonly userSearches: Limiter;
  private readonly uploads: Limiter;
  private readonly uploadBytes: RateLimiterMemory | RateLimiterRedis;
  /** Per-user refusals remembered on this node (take): limit and key → when the refusal ends (performance.now). */
  private readonly refusedUntil = new Map<string, number>();

  constructor(
    limits: Limits,
    private readonly metrics: Metrics,
    redis?: { client: RedisClient; prefix: string },
  ) {
    const make = (name: string, options: IRateLimiterOptions) => {
      const keyPrefix = `${redis?.prefix ?? 'parley'}:rl:${name}`;
      if (!redis) return new RateLimiterMemory({ ...options, keyPrefix });
      return new RateLimiterRedis({
        ...options,
        keyPrefix,
        storeClient: redis.client,
        // node-redis v4/v5 API (`eval(script, {keys, arguments})`); it is not auto-detected for v5.
        useRedisPackage: true,
        // A disconnected node-redis client queues commands; fail over at once instead.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ ...options, keyPrefix }),
      });
    };
    const bucket = (name: string, perSecond: number, burst: number): Limiter => {
      const steady = make(name, { points: perSecond, duration: 1 });
      if (burst <= perSecond) return steady;
      return new BurstyRateLimiter(
        steady,
        make(`${name}:burst`, { points: burst - perSecond, duration: BURST_WINDOW_SECONDS }),
      );
    };
    this.messages = bucket('messages', limits.messagesPerSecond, limits.messageBurst);
    this.events = bucket('user-events', limits.eventsPerSecond, limits.eventBurst);
    this.reads = bucket('reads', limits.readsPerSecond, limits.readBurst);
    // Counted in KiB per second: a page of big messages weighs a thousand small ones.
    this.readBytes = make('read-bytes', {
      points: Math.max(1, Math.floor(limits.readBytesPerSecond / 1024)),
      duration: 1,
    });
    // Read positions and typing change no message, but each is a write or a broadcast to the chat:
    // buckets of their own (a client marks read while it sends), with the message figures.
    this.markReads = bucket('mark-reads', limits.messagesPerSecond, limits.messageBurst);
    this.typings = bucket('typings', limits.messagesPerSecond, limits.messageBurst);
    this.authPerIp = make('auth-ip', { points: limits.authPerIpPerMinute, duration: AUTH_WINDOW_SECONDS });
    this.chatChanges = make('chat-changes', { points: limits.chatChangesPerMinute, duration: 60 });
    this.loginFailures = make('login-failures', {
      points: limits.loginFailuresPerAccount,
      duration: LOGIN_FAILURE_WINDOW_SECONDS,
    });
    // Each answer names up to 20 users with their emails: bounded per user, so that nobody crawls
    // the directory from several sockets or nodes.
    this.userSearches = make('user-searches', { points: limits.userSearchesPerMinute, duration: 60 });
    this.uploads = make('uploads', { points: limits.uploadsPerMinute, duration: 60 });
    // Counted in KiB per hour, charged once an upload's size is known (uploaded).
    this.uploadBytes = make('upload-bytes', {
      points: Math.max(1, Math.floor(limits.uploadBytesPerHour / 1024)),
      duration: 3600,
    });
  }

  /**
   * One POST /files by `userId`, across every node: refused past the uploads per minute, or while
   * the bytes uploaded this hour passed their allowance.
   */
  async upload(userId: string): Promise<void> {
    await this.take(this.uploads, userId, 'upload', RATE_LIMIT_TEXTS.uploads);
    const spent = await this.uploadBytes.get(userId).catch(() => null);
    if (spent && spent.consumedPoints >= this.uploadBytes.points) {
      this.metrics.limitRefused('upload_bytes');
      throw new RateLimitedError(Math.max(Math.ceil(spent.msBeforeNext), 1), RATE_LIMIT_TEXTS.uploads);
    }
  }

  /** `bytes` received from `userId`'s upload (kept or not): charged to their bytes of the hour. */
  uploaded(userId: string, bytes: number): void {
    this.uploadBytes.penalty(userId, Math.ceil(bytes / 1024)).catch(() => undefined);
  }

  /**
   * One event (any name) or authenticated HTTP request by `userId`, counted across every socket
   * and node of the user; throws RateLimitedError past the rate.
   */
  event(userId: string): Promise<void> {
    return this.take(this.events, userId, 'event', RATE_LIMIT_TEXTS.events, true);
  }

  /**
   * One send_message, edit_message, delete_message, add_reaction, remove_reaction, pin_message or
   * unpin_message by `userId`, across every socket and node.
   */
  message(userId: string): Promise<void> {
    return this.take(this.messages, userId, 'message', RATE_LIMIT_TEXTS.messages, true);
  }

  /** One read by `userId`: a history page, a chat list, a join_chat, a sync, a user search. */
  async read(userId: string): Promise<void> {
    await this.take(this.reads, userId, 'read', RATE_LIMIT_TEXTS.reads, true);
    await this.answerBytesLeft(userId);
  }

  /**
   * Refuses (RATE_LIMITED) while `userId`'s answers weigh more than their allowance: the second's
   * answers passed it, or an earlier answer's excess is still being paid off (answered). Checked
   * when a read arrives and again when its turn comes (the reads that waited meanwhile were
   * admitted before the big answers ahead of them were charged).
   */
  async answerBytesLeft(userId: string): Promise<void> {
    const spent = await this.readBytes.get(userId).catch(() => null);
    if (spent && spent.consumedPoints > this.readBytes.points) {
      this.metrics.limitRefused('read_bytes');
      throw new RateLimitedError(Math.max(Math.ceil(spent.msBeforeNext), 1), RATE_LIMIT_TEXTS.reads);
    }
  }

  /**
   * An answer of `bytes` sent to `userId`: charged to the user's answer bytes after the fact (an
   * answer's size is known once it is made). What passes the second's allowance is a debt: the
   * user's reads are refused until the second ends and then for as long as the excess takes to
   * pay off at the allowed rate. So the allowance is spread like a token bucket's (one second of
   * burst), rather than granted anew, all at once, at the start of each window: several big
   * answers admitted together are what stall the others' work behind them.
   */
  answered(userId: string, bytes: number): void {
    const perSecond = this.readBytes.points;
    this.readBytes
      .penalty(userId, Math.ceil(bytes / 1024))
      .then((spent) => {
        const excess = spent.consumedPoints - perSecond;
        if (excess <= 0) return;
        return this.readBytes.block(userId, Math.ceil(spent.msBeforeNext + (1000 * excess) / perSecond) / 1000);
      })
      .catch(() => undefined);
  }

  /** One mark_read by `userId`. */
  markRead(userId: string): Promise<void> {
    return this.take(this.markReads, userId, 'mark_read', RATE_LIMIT_TEXTS.markRead, true);
  }

  /** One typing or stop_typing by `userId`. */
  typing(userId: string): Promise<void> {
    return this.take(this.typings, userId, 'typing', RATE_LIMIT_TEXTS.typing, true);
  }

  /** One chat created, or one request adding members, by `userId`. */
  chatChange(userId: string): Promise<void> {
    return this.take(this.chatChanges, userId, 'chat_change', RATE_LIMIT_TEXTS.chats);
  }

  /** One GET /users?search= by `userId`, counted across every node. */
  userSearch(userId: string): Promise<void> {
    return this.take(this.userSearches, userId, 'user_search', RATE_LIMIT_TEXTS.userSearch);
  }

  /** One login or registration attempt from a client address. */
  authAttempt(ip: string): Promise<void> {
    return this.take(this.authPerIp, ip, 'auth_ip', RATE_LIMIT_TEXTS.auth);
  }

  /**
   * Takes one attempt from `account`'s failure budget before its password is checked, refusing
   * once the budget is spent. Taken first, atomically, so that concurrent guesses cannot all pass
   * a check made before any of them failed; a success clears the count (loginSucceeded) and an
   * attempt that ended for another reason gives its point back (loginNotCounted).
   */
  loginAttempt(account: string): Promise<void> {
    return this.take(this.loginFailures, accountKey(account), 'login_account', RATE_LIMIT_TEXTS.login);
  }

  async loginNotCounted(account: string): Promise<void> {
    await this.loginFailures.reward(accountKey(account), 1).catch(() => undefined);
  }

  async loginSucceeded(account: string): Promise<void> {
    await this.loginFailures.delete(accountKey(account)).catch(() => undefined);
  }

  /**
   * Takes one point of `limiter` for `key`, or throws RateLimitedError. With `remember`, a refusal
   * is remembered on this node until the limiter would let the key through again, and the
   * requests meanwhile are refused here without asking it: a flooding client sends thousands of
   * events a second past its budget, and each would otherwise cost a limiter update (a Redis
   * round trip with REDIS_URL). The answer is the same: points consumed while refused do not
   * bring the end of the refusal closer.
   */
  private async take(limiter: Limiter, key: string, limit: LimitName, text: string, remember = false): Promise<void> {
    const memo = remember ? `${limit}:${key}` : '';
    if (remember) {
      const until = this.refusedUntil.get(memo);
      if (until !== undefined) {
        const left = Math.ceil(until - performance.now());
        if (left > 0) {
          this.metrics.limitRefused(limit);
          throw new RateLimitedError(left, text);
        }
        this.refusedUntil.delete(memo);
      }
    }
    try {
      await limiter.consume(key);
    } catch (refusal) {
      // Anything but a refusal (a store error the insurance limiter could not absorb) lets the
      // request through: a broken limiter must not take the service down with it.
      if (!(refusal instanceof RateLimiterRes)) return;
      this.metrics.limitRefused(limit);
      const retryAfterMs = Math.max(refusal.msBeforeNext, 1);
      if (remember) this.rememberRefusal(memo, retryAfterMs);
      throw new RateLimitedError(retryAfterMs, text);
    }
  }

  private rememberRefusal(memo: string, retryAfterMs: number): void {
    // Only users being refused have an entry. Past a bound the ended ones are swept from the
    // oldest, stopping at the first still running: every remembered limit is a bucket of one-second
    // windows, so a refusal ends within a second of being made and the map's order (insertion) is
    // nearly the order of their ends. A sweep costs what it deletes, even with thousands of users
    // refused at once, and the map holds about the users refused within the last second.
    if (this.refusedUntil.size >= REMEMBERED_REFUSALS_SWEPT_AT) {
      const now = performance.now();
      for (const [key, until] of this.refusedUntil) {
        if (until > now) break;
        this.refusedUntil.delete(key);
      }
    }
    this.refusedUntil.set(memo, performance.now() + retryAfterMs);
  }
}

/** Account names are hashed: Redis never holds an email, and keys have a fixed length. */
function accountKey(account: string): string {
  return createHash('sha256').update(account).digest('base64url');
}
