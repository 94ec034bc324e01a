import type { Socket } from 'socket.io-client';
import type { Database } from '../../src/store/database.js';
import { ask, closeAll, connectAll } from '../clients.js';
import { markLastMessages, seedUsers, type SeededUser } from '../seed.js';
import { now, round, summarize, type LatencySummary } from '../stats.js';
import type { Target } from '../targets.js';
import { markdownTable } from '../table.js';
import { randomUUID } from 'node:crypto';

/**
 * Message search (search_messages) over a corpus of `messages` messages in `chats` chats, spread
 * over the last year, in Russian and English word forms drawn with a skewed frequency (a few words
 * in most messages, most words rare), some carrying an order number that occurs only a few times
 * in the corpus. The searching users are members of a subset of the chats each, one of them (the
 * "heavy" searcher) of every chat: a common word then has matches in every one of the corpus's
 * messages' chats, the case that costs most. Queries are a mix of rare (an order number, a rare
 * word), common (the most frequent words, in another form than most texts have) and multi-word
 * ones ("phrases" among them), each kind timed on its own and all together.
 */
export interface SearchSetup {
  /** The searchers' tokens: the last one is the heavy searcher, in every chat. */
  tokens: string[];
  /** Chats of each of the other searchers. */
  chatsPerSearcher: number;
}

/** Russian word forms: several forms of one word, so that a query finds the others by stemming. */
const RUSSIAN = `сообщение сообщения сообщений сообщению встреча встречу встречи встрече проект проекта проекты проектов
  задача задачи задачу задач завтра сегодня вчера утром вечером срочно пожалуйста спасибо привет добрый день
  отчёт отчёта отчёты отчет документ документы документа договор договора клиент клиента клиенты клиентов
  команда команды команде разработка разработки релиз релиза релизы сервер сервера серверы база базы данных
  ошибка ошибки ошибку исправил исправила исправлено проверил проверила проверка тест тесты тестов
  посмотри посмотрите отправил отправила отправлю получил получила напиши напишите позвони позвоните
  дизайн макет макеты страница страницы кнопка кнопку форма формы письмо письма почта почту звонок звонка
  бюджет бюджета счёт счета оплата оплату заказ заказа заказы доставка доставку склад склада цена цены
  отпуск отпуска больничный офис офиса удалённо работа работы работаю работает план плана планы неделя недели
  понедельник вторник среда четверг пятница выходные праздник обед кофе чай погода дождь снег солнце
  мама папа дети школа школы домой дома машина машину дорога пробки поезд самолёт билет билеты гостиница`;

const ENGLISH = `message messages meeting meetings project projects task tasks tomorrow today yesterday morning evening
  please thanks hello good report reports document documents contract contracts client clients customer team
  teams development release releases server servers database data error errors bug bugs fixed fixing checked
  testing test tests review reviewed deploy deployed deploying running run runs build builds pipeline
  design mockup page pages button form email emails call calls budget invoice payment order orders delivery
  warehouse price prices vacation office remote work working works plan plans week weeks monday tuesday
  wednesday thursday friday weekend holiday lunch coffee tea weather rain snow sunny family kids school home
  car road traffic train flight ticket tickets hotel deadline deadlines launch launched metrics dashboard`;

const words = (list: string) => list.split(/\s+/).filter(Boolean);

/** Order numbers in the texts run from this, one per ORDER_EVERY messages, each about ORDER_REPEATS times. */
const ORDER_BASE = 10_000;
const ORDER_EVERY = 4;
const ORDER_REPEATS = 5;

/**
 * Writes the corpus: `chats` chats of three other users each, the searchers added to theirs, and
 * `messages` messages generated in SQL (generate_series), message g in chat g mod chats, so that
 * each chat's messages are numbered 1, 2, 3… in time order, in batches that each stay within the
 * PostgreSQL connection's statement timeout (so the search index is kept as they are written:
 * building it afterwards in one statement would outlast that timeout).
 */
export async function seedSearch(
  db: Database,
  secret: string,
  sizes: { messages: number; chats: number; searchers: number; chatsPerSearcher: number },
): Promise<SearchSetup> {
  const others = await seedUsers(db, Math.max(3, Math.ceil(sizes.chats / 10)), secret);
  const searchers = await seedUsers(db, sizes.searchers, secret);
  const chatIds = Array.from({ length: sizes.chats }, () => randomUUID());
  const memberA = chatIds.map((_, k) => others[k % others.length]!.id);
  const memberB = chatIds.map((_, k) => others[(k + 1) % others.length]!.id);
  const memberC = chatIds.map((_, k) => others[(k + 2) % others.length]!.id);
  await db.query(
    `INSERT INTO chats (id, name) SELECT id, 'search ' || n FROM unnest($1::uuid[]) WITH ORDINALITY AS c(id, n)`,
    [chatIds],
  );
  const pairs: [string, string][] = [];
  chatIds.forEach((id, k) => {
    for (const user of new Set([memberA[k]!, memberB[k]!, memberC[k]!])) pairs.push([id, user]);
  });
  // Each searcher but the last in chatsPerSearcher chats spread over the corpus; the last in all.
  searchers.forEach((searcher: SeededUser, s) => {
    const heavy = s === searchers.length - 1;
    const count = heavy ? chatIds.length : Math.min(sizes.chatsPerSearcher, chatIds.length);
    for (let i = 0; i < count; i++) {
      const k = heavy ? i : (s * 7919 + Math.floor((i * chatIds.length) / count)) % chatIds.length;
      pairs.push([chatIds[k]!, searcher.id]);
    }
  });
  const unique = [...new Map(pairs.map((p) => [p.join(), p])).values()];
  await db.query('INSERT INTO chat_members (chat_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])', [
    unique.map((p) => p[0]),
    unique.map((p) => p[1]),
  ]);

  const yearMs = 365 * 24 * 3600 * 1000;
  const start = new Date(Date.now() - yearMs - 60_000);
  const stepMs = yearMs / Math.max(1, sizes.messages);
  // Small enough that a batch stays well within the server's statement timeout (10 s).
  const batch = 10_000;
  for (let first = 0; first < sizes.messages; first += batch) {
    const last = Math.min(first + batch, sizes.messages) - 1;
    // Word i of a vocabulary of n is drawn with probability falling with i (power 3 of a uniform
    // draw): the first words are in a large share of the messages, the last in few.
    await db.query(
      `INSERT INTO messages (id, chat_id, sender_id, text, created_at, seq, version)
       SELECT gen_random_uuid(), ($1::uuid[])[1 + g % $4::int],
              CASE WHEN g % 2 = 0 THEN ($2::uuid[])[1 + g % $4::int] ELSE ($3::uuid[])[1 + g % $4::int] END,
              t.text, date_trunc('milliseconds', $5::timestamptz + g * $6::float8 * interval '1 millisecond'),
              g / $4::int + 1, g / $4::int + 1
         FROM generate_series($7::int, $8::int) AS g
        CROSS JOIN LATERAL (
          SELECT array_to_string(ARRAY(
                   SELECT v.words[1 + floor(power(random(), 3) * array_length(v.words, 1))::int]
                     FROM generate_series(1, 4 + (random() * 10)::int + g * 0)),
                   ' ')
                 || CASE WHEN (g + g / $4::int) % ${ORDER_EVERY} = 0 THEN ' №' || (${ORDER_BASE} + (g / ${ORDER_EVERY}) % greatest(1, $11::int)) ELSE '' END AS text
            FROM (SELECT CASE WHEN (g + g / $4::int) % 5 < 3 THEN $9::text[] ELSE $10::text[] END AS words) v) t`,
      [
        chatIds,
        memberA,
        memberB,
        sizes.chats,
        start,
        stepMs,
        first,
        last,
        words(RUSSIAN),
        words(ENGLISH),
        Math.ceil(sizes.messages / ORDER_EVERY / ORDER_REPEATS),
      ],
    );
  }
  for (let i = 0; i < chatIds.length; i += 200) await markLastMessages(db, chatIds.slice(i, i + 200));
  return { tokens: searchers.map((s) => s.token), chatsPerSearcher: sizes.chatsPerSearcher };
}

type QueryKind = 'rare' | 'common' | 'multi-word';

/** The queries of each kind, taken in turn (`i`: the call's number). */
function queryOf(kind: QueryKind, i: number, orders: number): string {
  switch (kind) {
    case 'rare': {
      const rareRussian = words(RUSSIAN).slice(-40);
      const rareEnglish = words(ENGLISH).slice(-40);
      if (i % 3 === 0) return String(ORDER_BASE + ((i * 7_919) % orders));
      return i % 3 === 1 ? rareRussian[i % rareRussian.length]! : rareEnglish[i % rareEnglish.length]!;
    }
    case 'common': {
      const common = ['сообщения', 'встречу', 'проекты', 'messages', 'meeting', 'projects', 'задачи', 'tasks'];
      return common[i % common.length]!;
    }
    case 'multi-word': {
      const multi = [
        'встреча завтра',
        'проект задачи срочно',
        '"сообщение встреча"',
        'meeting tomorrow',
        'project deadline -weekend',
        '"message meeting"',
        'отчёт or report',
        'сервер ошибка database',
      ];
      return multi[i % multi.length]!;
    }
  }
}

export interface SearchResult {
  target: string;
  messages: number;
  chats: number;
  chatsPerSearcher: number;
  searchers: number;
  byKind: Record<QueryKind, LatencySummary & { hitsPerCall: number }>;
  all: LatencySummary;
  warmUp: LatencySummary;
  serverCpuMsPerCall: number;
}

const KINDS: QueryKind[] = ['rare', 'common', 'multi-word'];

/**
 * `warmUp` calls, then `calls` measured ones, one at a time, the searchers and the kinds taken in
 * turn (every searcher asks every kind); a page of 20 hits, without a chatId.
 */
export async function searchLatency(
  target: Target,
  setup: SearchSetup,
  sizes: { messages: number; chats: number },
  calls: number,
  warmUp: number,
): Promise<SearchResult> {
  const sockets: Socket[] = await connectAll(target.url, setup.tokens);
  const orders = Math.ceil(sizes.messages / ORDER_EVERY / ORDER_REPEATS);
  try {
    const latencies: Record<QueryKind, number[]> = { rare: [], common: [], 'multi-word': [] };
    const hits: Record<QueryKind, number> = { rare: 0, common: 0, 'multi-word': 0 };
    const call = async (i: number) => {
      const kind = KINDS[i % KINDS.length]!;
      const socket = sockets[Math.floor(i / KINDS.length) % sockets.length]!;
      const t0 = now();
      const page = await ask<{ hits: unknown[] }>(socket, 'search_messages', { query: queryOf(kind, i, orders) });
      return { kind, ms: now() - t0, hits: page.hits.length };
    };
    const warm: number[] = [];
    for (let i = 0; i < warmUp; i++) warm.push((await call(i)).ms);
    const cpuBefore = await target.cpuMs();
    for (let i = warmUp; i < warmUp + calls; i++) {
      const result = await call(i);
      latencies[result.kind].push(result.ms);
      hits[result.kind] += result.hits;
    }
    const serverCpuMsPerCall = round(((await target.cpuMs()) - cpuBefore) / calls);
    if (calls >= KINDS.length && hits.common === 0) throw new Error('search: common words found nothing');
    const byKind = Object.fromEntries(
      KINDS.map((kind) => [
        kind,
        { ...summarize(latencies[kind]), hitsPerCall: round(hits[kind] / Math.max(1, latencies[kind].length)) },
      ]),
    ) as SearchResult['byKind'];
    return {
      target: target.name,
      messages: sizes.messages,
      chats: sizes.chats,
      chatsPerSearcher: setup.chatsPerSearcher,
      searchers: setup.tokens.length,
      byKind,
      all: summarize(KINDS.flatMap((kind) => latencies[kind])),
      warmUp: summarize(warm),
      serverCpuMsPerCall,
    };
  } finally {
    closeAll(sockets);
  }
}

export function searchTable(results: SearchResult[]): string {
  const first = results[0]!;
  const rows: [string, (r: SearchResult) => string][] = [
    ...KINDS.map((kind): [string, (r: SearchResult) => string] => [
      `search ${kind} p50 / p99 ms (hits per page)`,
      (r) => `${r.byKind[kind].p50} / ${r.byKind[kind].p99} (${r.byKind[kind].hitsPerCall})`,
    ]),
    ['search all p50 / p99 / max ms (goal p99 ≤ 50)', (r) => `${r.all.p50} / ${r.all.p99} / ${r.all.max}`],
    ['search warm-up p50 / max ms', (r) => `${r.warmUp.p50} / ${r.warmUp.max}`],
    ['search server CPU ms per call', (r) => String(r.serverCpuMsPerCall)],
  ];
  return markdownTable(
    [
      `search (${first.messages} msgs in ${first.chats} chats; searchers in ${first.chatsPerSearcher} chats, one in all)`,
      ...results.map((r) => r.target),
    ],
    rows.map(([name, pick]) => [name, ...results.map(pick)]),
  );
}
