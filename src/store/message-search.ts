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
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=12, ShortWord=2`;

/**
 * The windows a search reads, newest first: each reaches this far back from the page's start (the
 * cursor's time, or now) and begins where the one before ended. Hits come newest first, and
 * reading every match of a common word in the caller's chats only to sort them would cost a heap
 * row per match (a third of a million for a word in a third of a million messages). A window
 * bounds that: PostgreSQL reads its matches by the index of messages by time
 * (messages_created_at), the search index (messages_search) or both (a BitmapAnd), whichever the
 * window's size and the words' frequency make cheaper, and a common word fills the page within
 * the first windows. A window that leaves the page short is followed by one four times as long,
 * so a rare word costs a few cheap statements more before the last window, which is unbounded.
 */
const WINDOWS = [
  '15 minutes',
  '1 hour',
  '4 hours',
  '16 hours',
  '64 hours',
  '256 hours',
  '1024 hours',
  '4096 hours',
  '16384 hours',
  null,
] as const;

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
type Scope = { chatId: string } | { userId: string };

/**
 * The scope as a condition on the message row `h`. A user's chats are a semi-join on their
 * memberships, not a list of ids: a list of a thousand chats costs PostgreSQL milliseconds to
 * plan, and the join lets it pick, by the query's words, between following the search index and
 * walking the newest messages (messages_created_at) while checking each one's chat.
 */
const scopeCondition = (scope: Scope, param: string) =>
  'chatId' in scope
    ? `h.chat_id = ${param}::uuid`
    : `EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = h.chat_id AND cm.user_id = ${param}::uuid)`;

export class MessageSearch {
  constructor(private readonly db: Database) {}

  /**
   * The messages of `userId`'s chats (or of `chatId`, one of them) whose current text matches the
   * query, newest first (created_at, then id, descending), at most `limit`, with their chat's name
   * and a snippet. Deleted messages are never found: their text, and so their vector, is empty.
   */
  async search(userId: string, request: SearchRequest): Promise<SearchResult> {
    if (!isStoreId(userId)) return { hits: [], hasMore: false, nextBefore: null };
    if (request.chatId !== undefined && !isStoreId(request.chatId)) return { refused: 'chat' };
    // Whether the caller may search (a member of the chat asked for, or of any chat at all), and
    // the time the windows are counted back from when there is no cursor: read once, so that
    // consecutive windows meet exactly.
    const [access] = await this.db.query<{ chats: number; member: boolean; now: string }>(
      `SELECT count(*)::int AS chats, bool_or(chat_id = $2) AS member, now()::text AS now
         FROM chat_members WHERE user_id = $1`,
      [userId, request.chatId ?? null],
    );
    if (request.chatId !== undefined && !access?.member) return { refused: 'chat' };
    const scope: Scope = request.chatId !== undefined ? { chatId: request.chatId } : { userId };

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

    const hits = await this.readHits(scope, request, cursor?.at ?? access.now, cursor);
    const hasMore = hits.length > request.limit;
    const page = hits.slice(0, request.limit);
    return { hits: page, hasMore, nextBefore: hasMore ? page.at(-1)!.message.id : null };
  }

  /**
   * The newest `limit + 1` matches (one more tells hasMore), as one JSON array of messages and one
   * of their chat names and snippets, in the same order. One statement of one branch per window
   * (WINDOWS), newest first, each the window's newest matches: PostgreSQL runs the branches of a
   * UNION ALL in order and stops once the LIMIT above them is reached, so the windows after the
   * one that fills the page are never read. Each branch reads every match of its window by
   * bitmaps (OFFSET 0 keeps its LIMIT out of that plan): ordered by time under a LIMIT,
   * PostgreSQL may walk the newest messages looking for a word it thinks common, which for a rare
   * word is a walk through every message. `from` is the time the windows count back from, the
   * cursor's when there is one (only what is after it in the order is read).
   */
  private async readHits(
    scope: Scope,
    request: SearchRequest,
    from: string,
    cursor: Cursor | undefined,
  ): Promise<SearchHit[]> {
    const params: unknown[] = [
      'chatId' in scope ? scope.chatId : scope.userId,
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
    const branches = WINDOWS.map((window, i) => {
      const conditions: string[] = [];
      const newer = WINDOWS[i - 1];
      if (newer) conditions.push(`h.created_at < ${span(newer)}`);
      else if (cursor) conditions.push('(h.created_at, h.id) < ($6::timestamptz, $7::uuid)');
      if (window !== null) conditions.push(`h.created_at >= ${span(window)}`);
      return `(SELECT f.* FROM (
                 SELECT h.* FROM messages h
                  WHERE ${scopeCondition(scope, '$1')} AND h.deleted_at IS NULL
                    AND h.search_vector @@ ${TS_QUERY('$2')}
                    ${conditions.map((condition) => `AND ${condition}`).join(' ')}
                 OFFSET 0) f
                ORDER BY f.created_at DESC, f.id DESC
                LIMIT $5)`;
    });
    const order = 'p.created_at DESC, p.id DESC';
    const markers = (headline: string) => `(length(${headline}) - length(replace(${headline}, '${START}', '')))`;
    const [result] = await this.db.read<{ messages: string | null; extras: string | null }>(
      `SELECT json_agg(${messageTuple('p')} ORDER BY ${order})::text AS messages,
              json_agg(json_build_array(p.chat_name, p.snippet) ORDER BY ${order})::text AS extras
         FROM (SELECT ${MESSAGE_COLUMNS}, c.name AS chat_name,
                      CASE WHEN ${markers('s.simple')} > ${markers('s.stemmed')} THEN s.simple ELSE s.stemmed END AS snippet
                 FROM (${branches.join(' UNION ALL ')} LIMIT $5) m
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
