import type { Message, SearchHit, SearchPage, SearchSnippet } from '../protocol/types.js';
import type { Database } from './database.js';
import { MESSAGE_COLUMNS, messageTuple, parseMessageTuples } from './message-form.js';
import { isStoreId } from './sql.js';

/**
 * Full-text search of messages (README "Search"), over the stored vector of migration 15
 * (messages.search_vector: the text under the 'russian', 'english' and 'simple' configs).
 *
 * A query is parsed by websearch_to_tsquery under each of the three configs and the three are
 * ORed: a word is found by its Russian or English stem or as it is written. websearch_to_tsquery
 * never fails on its input (unbalanced quotes, stray operators), and a query of nothing but
 * punctuation or stop words of every config matches nothing.
 */
const TS_QUERY = (param: string) =>
  `(websearch_to_tsquery('russian'::regconfig, ${param}) || websearch_to_tsquery('english'::regconfig, ${param})
    || websearch_to_tsquery('simple'::regconfig, ${param}))`;

/**
 * The snippet's highlight markers: private-use characters that ts_headline puts around each
 * matched word (StartSel, StopSel) and that are turned into ranges here. They are removed from the
 * text before ts_headline sees it, so a message's own characters can never forge a range.
 */
const START = '\uE000';
const STOP = '\uE001';
/**
 * What '<' is turned into before ts_headline and back after: its parser takes `<b>` or `<!-- -->`
 * in a text for markup and writes spaces instead. A private-use character too, removed from the
 * text first; one UTF-16 unit for another, so the ranges hold.
 */
const LESS_THAN = '\uE002';

/** The greatest uuid: with no cursor, a window of few chats starts after every message at `from`. */
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=12, ShortWord=2`;

/**
 * How a search reads (readHits), so that neither a common nor a rare word costs a read of all its
 * matches only to sort them (hits come newest first, and PostgreSQL's guess of a rare word's
 * frequency is often far off):
 *
 * - A caller in many chats (or searching one chat): first the newest WALK messages after the
 *   cursor, each checked (a common word fills the page there); then windows of time older than
 *   those — the rest of the last day, of the last week — where PostgreSQL combines the index of
 *   messages by time (messages_created_at), the search index (messages_search) and the chat
 *   condition as the sizes make cheaper; then everything older, by the search index alone.
 * - A caller in few chats (FEW_CHATS): the walk would mostly read other chats' messages, and two
 *   words that are each common but rare together would cost the search index (as much as the
 *   rarer word has matches in the whole table) in every window. So the windows — the last day,
 *   week and month — read each of the caller's chats by its index (messages_chat_order) and check
 *   each of its messages: their cost is what the caller's chats hold in the window, whatever the
 *   words. Only what is older is read by the search index, once.
 *
 * All are branches of one UNION ALL under the page's LIMIT: PostgreSQL stops at the branch that
 * fills the page.
 */
const WINDOWS = ['1 day', '7 days', null] as const;
const FEW_CHAT_WINDOWS = ['1 day', '7 days', '30 days', null] as const;

/** The newest messages a search checks one by one before it turns to the windows. */
const WALK = 5_000;

/**
 * Up to this many chats, the windows name the caller's chats by id and read them chat by chat
 * (FEW_CHAT_WINDOWS); past it, a list costs more to plan than it saves, and the windows check each
 * match's membership instead (such a caller's chats hold much of what there is).
 */
const FEW_CHATS = 300;

export interface SearchRequest {
  query: string;
  /** Only this chat, which the caller must be a member of. */
  chatId?: string | undefined;
  /** A message id (a previous hit): only messages after it in the search's order (older). */
  before?: string | undefined;
  limit: number;
}

export type SearchResult =
  | SearchPage
  /** `chatId` is not one of the caller's chats (or no chat at all). */
  | { refused: 'chat' }
  /** `before` is not a message of the caller's chats (or of `chatId` when given). */
  | { refused: 'before' };

/** A message's place in the search's order: created_at (as PostgreSQL writes it) and id. */
interface Cursor {
  at: string;
  id: string;
}

/** Whose messages a search reads: one chat's (its membership checked before), or those of a user's chats. */
type ChatScope = { chatId: string } | { userId: string };
/** …or a user's chats by their ids. */
type Scope = ChatScope | { chatIds: readonly string[] };

/**
 * The scope as a condition on the message row `h`. A user's chats are a semi-join on their
 * memberships, not a list of ids: a list of a thousand chats costs PostgreSQL milliseconds to
 * plan, and the join lets it pick, by the query's words, between following the search index and
 * walking the newest messages (messages_created_at) while checking each one's chat.
 */
const scopeCondition = (scope: Scope, param: string, h = 'h') =>
  'chatId' in scope
    ? `${h}.chat_id = ${param}::uuid`
    : 'chatIds' in scope
      ? `${h}.chat_id = ANY(${param}::uuid[])`
      : `EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = ${h}.chat_id AND cm.user_id = ${param}::uuid)`;

export class MessageSearch {
  constructor(
    private readonly db: Database,
    /** WALK and FEW_CHATS, smaller in tests so that a small database reaches every branch. */
    private readonly tuning: { walk: number; fewChats: number } = { walk: WALK, fewChats: FEW_CHATS },
  ) {}

  /**
   * The messages of `userId`'s chats (or of `chatId`, one of them) whose current text matches the
   * query, newest first (created_at, then id, descending), at most `limit`, with their chat's name
   * and a snippet, and their reactions as the user sees them. Deleted messages are never found:
   * their text, and so their vector, is empty.
   */
  async search(userId: string, request: SearchRequest): Promise<SearchResult> {
    if (!isStoreId(userId)) return { hits: [], hasMore: false, nextBefore: null };
    if (request.chatId !== undefined && !isStoreId(request.chatId)) return { refused: 'chat' };
    // Whether the caller may search (a member of the chat asked for, or of any chat at all), and
    // the time the windows are counted back from when there is no cursor: read once, so that
    // consecutive windows meet exactly.
    const [access] = await this.db.query<{ chats: number; member: boolean; now: string; ids: string[] | null }>(
      `SELECT count(*)::int AS chats, bool_or(chat_id = $2) AS member, now()::text AS now,
              CASE WHEN count(*) <= $3 THEN array_agg(chat_id::text) END AS ids
         FROM chat_members WHERE user_id = $1`,
      [userId, request.chatId ?? null, this.tuning.fewChats],
    );
    if (request.chatId !== undefined && !access?.member) return { refused: 'chat' };
    const scope: ChatScope = request.chatId !== undefined ? { chatId: request.chatId } : { userId };
    // The windows read a caller's few chats by their ids (see FEW_CHATS).
    const windowScope: Scope = request.chatId === undefined && access?.ids ? { chatIds: access.ids } : scope;

    let cursor: Cursor | undefined;
    if (request.before !== undefined) {
      if (!isStoreId(request.before)) return { refused: 'before' };
      // created_at as PostgreSQL writes it (with its offset): it goes back in as it came, exactly.
      const [row] = await this.db.query<Cursor>(
        `SELECT created_at::text AS at, id FROM messages h WHERE id = $2 AND ${scopeCondition(scope, '$1')}`,
        ['chatId' in scope ? scope.chatId : scope.userId, request.before],
      );
      if (!row) return { refused: 'before' };
      cursor = row;
    }
    if (!access?.chats) return { hits: [], hasMore: false, nextBefore: null };

    const hits = await this.readHits(userId, scope, windowScope, request, cursor?.at ?? access.now, cursor);
    const hasMore = hits.length > request.limit;
    const page = hits.slice(0, request.limit);
    return { hits: page, hasMore, nextBefore: hasMore ? page.at(-1)!.message.id : null };
  }

  /**
   * The newest `limit + 1` matches (one more tells hasMore), as one JSON array of messages and one
   * of their chat names and snippets, in the same order: the walk (not for a caller in few chats),
   * then the windows (see WINDOWS and FEW_CHAT_WINDOWS),
   * as the branches of one UNION ALL under the page's LIMIT, which PostgreSQL runs in order and
   * stops reading once the page is full. Each window reads its matches without its LIMIT in the
   * plan (OFFSET 0): ordered by time under a LIMIT, PostgreSQL may walk back through messages
   * looking for a word it thinks common, which for a rare word is a walk through every message.
   * `from` is the time the windows count back from: the cursor's when there is one, else now.
   * `windowScope` names a caller's few chats by id (FEW_CHATS): then there is no walk, and the
   * windows read those chats one by one. `readerId` is the user whose reactions are `me`.
   */
  private async readHits(
    readerId: string,
    scope: ChatScope,
    windowScope: Scope,
    request: SearchRequest,
    from: string,
    cursor: Cursor | undefined,
  ): Promise<SearchHit[]> {
    const few = 'chatIds' in windowScope;
    // $1 is the scope: the chat's id, the caller's, or, for a caller in few chats, their ids.
    const params: unknown[] = [
      'chatIds' in windowScope ? windowScope.chatIds : 'chatId' in scope ? scope.chatId : scope.userId,
      request.query,
      HEADLINE_OPTIONS,
      START + STOP + LESS_THAN,
      request.limit + 1,
      from,
    ];
    // Each window's bound, as a parameter of its own once.
    const bounds = new Map<string, string>();
    const span = (window: string) => {
      if (!bounds.has(window)) {
        params.push(window);
        bounds.set(window, `$6::timestamptz - $${params.length}::interval`);
      }
      return bounds.get(window)!;
    };
    if (cursor) params.push(cursor.id);
    const afterCursor = (h: string) => (cursor ? `(${h}.created_at, ${h}.id) < ($6::timestamptz, $7::uuid)` : 'true');
    if (!few) params.push(this.tuning.walk);
    const walk = `$${params.length}`;
    params.push(readerId);
    const reader = `$${params.length}::uuid`;
    // First, for a caller in many chats, the newest WALK messages after the cursor, whatever their
    // chat (or the chat's, for one chat), each checked by ts_match_vq (@@'s function, which no index
    // serves): a common word fills the page here.
    const inChat = (h: string) => ('chatId' in scope ? `${h}.chat_id = $1::uuid` : 'true');
    const walked = `(SELECT w.* FROM (
                       SELECT h.* FROM messages h WHERE ${afterCursor('h')} AND ${inChat('h')}
                        ORDER BY h.created_at DESC, h.id DESC LIMIT ${walk}) w
                      WHERE w.deleted_at IS NULL AND ts_match_vq(w.search_vector, ${TS_QUERY('$2')})
                        AND ${scopeCondition(scope, '$1', 'w')}
                      ORDER BY w.created_at DESC, w.id DESC
                      LIMIT $5)`;
    // Then the windows, older than the boundary: the walk's last message (none when the walk
    // reached the oldest message), or, with no walk, the cursor (or the greatest position at
    // `from`).
    const windows = few ? FEW_CHAT_WINDOWS : WINDOWS;
    const branches = windows.map((window, i) => {
      // The last window, unbounded, reads the query's matches by the search index alone: its
      // bounds are written so that no index serves them (+ interval '0'), or PostgreSQL, taking a
      // rare word for a common one, would build a bitmap of most of the table to AND with it.
      const unindexed = window === null ? " + interval '0'" : '';
      const conditions = [`(h.created_at${unindexed}, h.id) < (SELECT b.created_at, b.id FROM boundary b)`];
      const newer = windows[i - 1];
      if (newer) conditions.push(`h.created_at${unindexed} < ${span(newer)}`);
      if (window !== null) conditions.push(`h.created_at >= ${span(window)}`);
      const bounds = conditions.map((condition) => `AND ${condition}`).join(' ');
      const matches =
        few && window !== null
          ? `SELECT h.* FROM unnest($1::uuid[]) AS s(chat_id)
              CROSS JOIN LATERAL (SELECT * FROM messages h WHERE h.chat_id = s.chat_id ${bounds}) h
              WHERE h.deleted_at IS NULL AND ts_match_vq(h.search_vector, ${TS_QUERY('$2')})`
          : `SELECT h.* FROM messages h
              WHERE ${scopeCondition(windowScope, '$1')}
                AND h.deleted_at IS NULL AND h.search_vector @@ ${TS_QUERY('$2')} ${bounds}`;
      return `(SELECT f.* FROM (${matches} OFFSET 0) f ORDER BY f.created_at DESC, f.id DESC LIMIT $5)`;
    });
    const boundary = few
      ? `WITH boundary AS MATERIALIZED (
           SELECT $6::timestamptz AS created_at, ${cursor ? '$7::uuid' : `'${MAX_UUID}'::uuid`} AS id)`
      : `WITH boundary AS MATERIALIZED (
           SELECT h.created_at, h.id FROM messages h WHERE ${afterCursor('h')} AND ${inChat('h')}
            ORDER BY h.created_at DESC, h.id DESC OFFSET ${walk}::int - 1 LIMIT 1)`;
    const order = 'p.created_at DESC, p.id DESC';
    const markers = (headline: string) => `(length(${headline}) - length(replace(${headline}, '${START}', '')))`;
    const [result] = await this.readSerially<{ messages: string | null; extras: string | null }>(
      `${boundary}
       SELECT json_agg(${messageTuple('p', { reader })} ORDER BY ${order})::text AS messages,
              json_agg(json_build_array(p.chat_name, p.snippet) ORDER BY ${order})::text AS extras
         FROM (SELECT ${MESSAGE_COLUMNS}, c.name AS chat_name,
                      CASE WHEN ${markers('s.simple')} > ${markers('s.stemmed')} THEN s.simple ELSE s.stemmed END AS snippet
                 FROM (${(few ? branches : [walked, ...branches]).join(' UNION ALL ')} LIMIT $5) m
                 JOIN users u ON u.id = m.sender_id
                 JOIN chats c ON c.id = m.chat_id
                 CROSS JOIN LATERAL (SELECT replace(translate(m.text, $4, ''), '<', '${LESS_THAN}') AS clean) t
                 -- Highlighted by stems (the 'russian' config stems Latin words as English) and as
                 -- written ('simple': a stop word, a word the stems do not match): the one that
                 -- highlights more.
                 CROSS JOIN LATERAL (
                   SELECT ts_headline('russian'::regconfig, t.clean, ${TS_QUERY('$2')}, $3) AS stemmed,
                          ts_headline('simple'::regconfig, t.clean, ${TS_QUERY('$2')}, $3) AS simple) s
              ) p`,
      params,
    );
    const messages: Message[] = parseMessageTuples(result?.messages);
    const extras = JSON.parse(result?.extras ?? '[]') as [string | null, string][];
    return messages.map((message, i) => {
      const [name, snippet] = extras[i]!;
      return { message, chat: { id: message.chatId, name }, snippet: toSnippet(snippet) };
    });
  }

  /**
   * A read without parallel workers on a PostgreSQL server: a search's windows are small reads
   * that PostgreSQL, misjudging a rare word's frequency, would start workers for, whose start-up
   * costs more than the read (tens of milliseconds on a busy machine). PGlite has no workers.
   */
  private readSerially<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    if (this.db.kind !== 'postgres') return this.db.read<Row>(sql, params);
    return this.db.transaction(async (tx) => {
      await tx.query('SET LOCAL max_parallel_workers_per_gather = 0');
      return tx.query<Row>(sql, params);
    });
  }
}

/** A headline with markers as plain text and the ranges they enclosed (UTF-16 code units). */
export function toSnippet(headline: string): SearchSnippet {
  let text = '';
  const highlights: [number, number][] = [];
  let start: number | undefined;
  for (const part of headline.split(/([\uE000\uE001])/)) {
    if (part === START) start = text.length;
    else if (part === STOP) {
      if (start !== undefined && text.length > start) highlights.push([start, text.length]);
      start = undefined;
    } else text += part.replaceAll(LESS_THAN, '<');
  }
  return { text, highlights };
}
