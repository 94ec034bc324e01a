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
 * How far back from the page's start (the cursor's time, or now) each attempt looks, in order.
 * Hits come newest first: a common word fills a page from the latest messages, and reading every
 * match of it in the caller's chats to sort them (a bitmap scan of the GIN index) would cost as
 * many heap rows as it has matches. So the first attempts are bounded in time, which lets
 * PostgreSQL combine the index of the chats' messages by time (messages_chat_order) with the
 * search index; a window that does not fill the page is widened, and the last one is unbounded.
 * A rare word has few matches, so each attempt costs little, and it reaches the unbounded one.
 */
const WINDOWS = ['1 day', '7 days', '30 days', '365 days', null] as const;

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
    const chatIds = (
      await this.db.query<{ chat_id: string }>(
        `SELECT chat_id FROM chat_members WHERE user_id = $1 ${request.chatId !== undefined ? 'AND chat_id = $2' : ''}`,
        request.chatId !== undefined ? [userId, request.chatId] : [userId],
      )
    ).map((row) => row.chat_id);
    if (request.chatId !== undefined && chatIds.length === 0) return { refused: 'chat' };

    let cursor: { at: string; id: string } | undefined;
    if (request.before !== undefined) {
      if (!isStoreId(request.before)) return { refused: 'before' };
      // created_at as PostgreSQL writes it (with its offset): it goes back in as it came, exactly.
      const [row] = await this.db.query<{ at: string; id: string }>(
        'SELECT created_at::text AS at, id FROM messages WHERE id = $1 AND chat_id = ANY($2::uuid[])',
        [request.before, chatIds],
      );
      if (!row) return { refused: 'before' };
      cursor = row;
    }
    if (chatIds.length === 0) return { hits: [], hasMore: false, nextBefore: null };

    for (const window of WINDOWS) {
      const hits = await this.readHits(chatIds, request, cursor, window);
      if (hits.length > request.limit || window === null) {
        const hasMore = hits.length > request.limit;
        const page = hits.slice(0, request.limit);
        return { hits: page, hasMore, nextBefore: hasMore ? page.at(-1)!.message.id : null };
      }
    }
    throw new Error('unreachable: the last window is unbounded');
  }

  /**
   * One attempt: the newest `limit + 1` matches before the cursor and within `window` of it (or of
   * now), as one JSON array of messages and one of their chat names and snippets, in the same order.
   */
  private async readHits(
    chatIds: readonly string[],
    request: SearchRequest,
    cursor: { at: string; id: string } | undefined,
    window: string | null,
  ): Promise<SearchHit[]> {
    const params: unknown[] = [chatIds, request.query, HEADLINE_OPTIONS, START + STOP + LESS_THAN, request.limit + 1];
    const conditions: string[] = [];
    if (cursor) {
      params.push(cursor.at, cursor.id);
      conditions.push(`(h.created_at, h.id) < ($6::timestamptz, $7::uuid)`);
    }
    if (window !== null) {
      params.push(window);
      const from = cursor ? '$6::timestamptz' : 'now()';
      conditions.push(`h.created_at >= ${from} - $${params.length}::interval`);
    }
    const order = 'p.created_at DESC, p.id DESC';
    const markers = (headline: string) => `(length(${headline}) - length(replace(${headline}, '${START}', '')))`;
    const [result] = await this.db.read<{ messages: string | null; extras: string | null }>(
      `SELECT json_agg(${messageTuple('p')} ORDER BY ${order})::text AS messages,
              json_agg(json_build_array(p.chat_name, p.snippet) ORDER BY ${order})::text AS extras
         FROM (SELECT ${MESSAGE_COLUMNS}, c.name AS chat_name,
                      CASE WHEN ${markers('s.simple')} > ${markers('s.stemmed')} THEN s.simple ELSE s.stemmed END AS snippet
                 FROM (SELECT h.* FROM messages h
                        WHERE h.chat_id = ANY($1::uuid[]) AND h.deleted_at IS NULL
                          AND h.search_vector @@ ${TS_QUERY('$2')}
                          ${conditions.map((condition) => `AND ${condition}`).join(' ')}
                        ORDER BY h.created_at DESC, h.id DESC
                        LIMIT $5) m
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
