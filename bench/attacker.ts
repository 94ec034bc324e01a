import { ConnectRefused, RawPolling, RawWebSocket, type Outcome } from './raw-socket-io.js';

/**
 * The fairness scenario's attacker (scenarios/fairness.ts), in a process of its own so that its
 * work does not slow the load tool's measurement of the other users: one ordinary account, many
 * connections, each asking as fast as `ratePerSocket` allows for what costs the server most.
 * Driven over IPC: `plan` → connects everything, answers `ready`; `start`; `stop` → answers its
 * `tally` and exits. A connection the server closes is opened again, as an attacker would.
 */

/** What each connection does. */
export interface AttackSockets {
  /** History pages of big messages at random depths, at most `window` unanswered; answers read. */
  history: number;
  /** get_my_chats of a user in many chats, at most `window` unanswered; answers read. */
  chatList: number;
  /** edit_message of the attacker's own message (text of MAX_MESSAGE_LENGTH), in a chat of others. */
  edits: number;
  /** History pages over a WebSocket whose TCP connection is no longer read. */
  stalled: number;
  /** History pages packed into long-polling POST bodies, never a GET. */
  polling: number;
}

export interface AttackPlan {
  url: string;
  token: string;
  sockets: AttackSockets;
  /** Requests per second of each WebSocket connection. */
  ratePerSocket: number;
  /** Unanswered requests a reading connection keeps at most. */
  window: number;
  /** POST bodies per second of each long-polling connection, and the characters of each (below the server's 64 KiB). */
  postsPerSecond: number;
  postBytes: number;
  /** Messages per history page asked for. */
  pageSize: number;
  historyChatId: string;
  /** Message ids of the history chat to page `before`. */
  cursorIds: string[];
  /** A chat of other users in which the attacker posts the message it edits. */
  editChatId: string;
  /** Characters of an edit's text: the server's MAX_MESSAGE_LENGTH. */
  editLength: number;
}

type ReadKind = 'history' | 'chatList' | 'edits';

export interface AttackTally {
  /** Answers the reading connections received, by request. */
  answers: Record<ReadKind, Record<Outcome, number>>;
  /** The codes of the answers counted as failed (neither served nor RATE_LIMITED). */
  failedCodes: Record<string, number>;
  /** Requests of reading connections never answered: still waiting at the end, or lost with their connection. */
  unanswered: number;
  /** Requests sent by connections that never read: stalled WebSockets, and polling POSTs the server accepted. */
  unread: { stalled: number; polling: number };
  /**
   * Whether a history page and a chat list were each served once before the flood began: the
   * attacker's requests are valid ones, whatever the limits refuse once they all run.
   */
  probed: Record<'history' | 'chatList', boolean>;
  connections: { opened: number; refused: number; closedByServer: number };
}

export type ToAttacker = { type: 'plan'; plan: AttackPlan } | { type: 'start' } | { type: 'stop' };
export type FromAttacker = { type: 'ready' } | { type: 'tally'; tally: AttackTally };

const CONNECT_TIMEOUT_MS = 10_000;
const TICK_MS = 20;
const REOPEN_AFTER_CLOSE_MS = 250;
const REOPEN_AFTER_REFUSAL_MS = 1_000;

const zero = (): Record<Outcome, number> => ({ served: 0, refused: 0, failed: 0 });
const tally: AttackTally = {
  answers: { history: zero(), chatList: zero(), edits: zero() },
  failedCodes: {},
  unanswered: 0,
  unread: { stalled: 0, polling: 0 },
  probed: { history: false, chatList: false },
  connections: { opened: 0, refused: 0, closedByServer: 0 },
};
let stopped = false;

/** An error the attacker does not expect ends it; the load tool sees the exit (child-process.ts). */
function fail(error: unknown): never {
  console.error(error);
  process.exit(1);
}

interface Connection {
  /** Resolves once the first connection attempt has ended, whatever its outcome. */
  opened: Promise<void>;
  tick(): void;
  close(): void;
}

/**
 * Runs `connect` again REOPEN_AFTER_REFUSAL_MS after each ConnectRefused, until it succeeds or the
 * attack stops; resolves once the first attempt has ended, whatever its outcome.
 */
function openUntilAdmitted(connect: () => Promise<void>): Promise<void> {
  const attempt = async (): Promise<void> => {
    try {
      await connect();
    } catch (error) {
      if (!(error instanceof ConnectRefused)) throw error;
      tally.connections.refused++;
      if (!stopped) setTimeout(() => void attempt().catch(fail), REOPEN_AFTER_REFUSAL_MS);
    }
  };
  return attempt();
}

/**
 * One WebSocket connection kept open: `request` names each request; `onOpen` prepares a fresh
 * connection. A reading one counts its answers under `kind`; a stalled one stops reading at once.
 */
function webSocketConnection(
  plan: AttackPlan,
  kind: ReadKind | 'stalled',
  request: () => [string, unknown?],
  onOpen: (socket: RawWebSocket) => Promise<void> = async () => {},
): Connection {
  let socket: RawWebSocket | undefined;
  let credit = 0;
  const open = () =>
    openUntilAdmitted(async () => {
      const opened = await RawWebSocket.connect(plan.url, plan.token, CONNECT_TIMEOUT_MS);
      await onOpen(opened).catch((error: unknown) => {
        opened.close();
        throw error;
      });
      tally.connections.opened++;
      if (kind === 'stalled') opened.stall();
      opened.onClose(() => {
        tally.connections.closedByServer++;
        tally.unanswered += opened.unanswered;
        socket = undefined;
        if (!stopped) setTimeout(() => void open().catch(fail), REOPEN_AFTER_CLOSE_MS);
      });
      if (stopped) opened.close();
      else socket = opened;
    });
  return {
    opened: open(),
    tick() {
      credit = Math.min(credit + (plan.ratePerSocket * TICK_MS) / 1000, plan.window);
      for (; credit >= 1 && socket; credit--) {
        if (kind === 'stalled') {
          socket.emit(...request());
          tally.unread.stalled++;
        } else {
          if (socket.unanswered >= plan.window) break;
          const [event, payload] = request();
          socket.emit(event, payload, ({ outcome, code }) => {
            tally.answers[kind][outcome]++;
            if (outcome === 'failed') tally.failedCodes[code!] = (tally.failedCodes[code!] ?? 0) + 1;
          });
        }
      }
    },
    close() {
      if (kind !== 'stalled') tally.unanswered += socket?.unanswered ?? 0;
      socket?.close();
    },
  };
}

/** One long-polling connection that POSTs full bodies of history requests and never GETs. */
function pollingConnection(plan: AttackPlan, payload: unknown): Connection {
  let polling: RawPolling | undefined;
  let posting = false;
  let lastPost = 0;
  const open = () =>
    openUntilAdmitted(async () => {
      polling = await RawPolling.connect(plan.url, plan.token, CONNECT_TIMEOUT_MS);
      tally.connections.opened++;
    });
  return {
    opened: open(),
    tick() {
      if (!polling || posting || performance.now() - lastPost < 1000 / plan.postsPerSecond) return;
      const current = polling;
      posting = true;
      lastPost = performance.now();
      void current.post('get_chat_messages', payload, plan.postBytes, CONNECT_TIMEOUT_MS).then((sent) => {
        posting = false;
        if (sent !== undefined) return void (tally.unread.polling += sent);
        if (stopped || polling !== current) return;
        // The server no longer knows the session: it closed it.
        tally.connections.closedByServer++;
        polling = undefined;
        setTimeout(() => void open().catch(fail), REOPEN_AFTER_CLOSE_MS);
      });
    },
    close() {
      polling = undefined;
    },
  };
}

/** Sends `event` and resolves with its answer; no answer in time is ConnectRefused. */
function ask(socket: RawWebSocket, event: string, payload?: unknown): Promise<{ outcome: Outcome; text: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ConnectRefused(`${event}: no answer`)), CONNECT_TIMEOUT_MS);
    socket.emit(event, payload, ({ outcome }, frame) => {
      clearTimeout(timer);
      resolve({ outcome, text: frame.toString() });
    });
  });
}

/**
 * Sends `event` and resolves with its answer's text; a refusal is ConnectRefused: the connection
 * could not be prepared.
 */
async function askOnce(socket: RawWebSocket, event: string, payload: unknown): Promise<string> {
  const { outcome, text } = await ask(socket, event, payload);
  if (outcome !== 'served') throw new ConnectRefused(`${event}: ${text.slice(0, 200)}`);
  return text;
}

/**
 * Sends `event` until it is served, waiting out each RATE_LIMITED refusal's hint (the connections
 * opening at once share one allowance); any other answer ends the attacker: its request is wrong.
 */
async function askUntilServed(socket: RawWebSocket, event: string, payload?: unknown): Promise<void> {
  for (;;) {
    const { outcome, text } = await ask(socket, event, payload);
    if (outcome === 'served') return;
    if (outcome === 'failed') throw new Error(`${event} failed: ${text.slice(0, 200)}`);
    const hint = /"retryAfterMs":(\d+)/.exec(text);
    await new Promise((resolve) => setTimeout(resolve, Number(hint?.[1] ?? 1000)));
  }
}

/** An `onOpen` for all connections of `kind`: the first one opened checks the request is served once. */
function probeOnce(kind: 'history' | 'chatList', request: () => [string, unknown?]) {
  let asked = false;
  return async (socket: RawWebSocket) => {
    if (asked) return;
    asked = true;
    await askUntilServed(socket, ...request());
    tally.probed[kind] = true;
  };
}

function connectAll(plan: AttackPlan): Connection[] {
  const page = () => ({
    chatId: plan.historyChatId,
    before: plan.cursorIds[Math.floor(Math.random() * plan.cursorIds.length)],
    limit: plan.pageSize,
  });
  // Four-byte characters: MAX_MESSAGE_LENGTH characters of them are the largest text allowed.
  const editText = `edited ${'😀'.repeat(plan.editLength - 7)}`;
  const { sockets } = plan;
  const connections: Connection[] = [];
  const times = (count: number, make: () => Connection) => {
    for (let i = 0; i < count; i++) connections.push(make());
  };
  const historyPage = (): [string, unknown] => ['get_chat_messages', page()];
  const chatList = (): [string] => ['get_my_chats'];
  const probeHistory = probeOnce('history', historyPage);
  const probeChatList = probeOnce('chatList', chatList);
  times(sockets.history, () => webSocketConnection(plan, 'history', historyPage, probeHistory));
  times(sockets.chatList, () => webSocketConnection(plan, 'chatList', chatList, probeChatList));
  times(sockets.edits, () => {
    let messageId: string | undefined;
    return webSocketConnection(
      plan,
      'edits',
      () => ['edit_message', { messageId, text: editText }],
      async (socket) => {
        if (messageId) return;
        const answer = await askOnce(socket, 'send_message', { chatId: plan.editChatId, text: 'attacker' });
        messageId = (JSON.parse(answer.slice(answer.indexOf('['))) as [{ message: { id: string } }])[0].message.id;
      },
    );
  });
  times(sockets.stalled, () => webSocketConnection(plan, 'stalled', () => ['get_chat_messages', page()]));
  times(sockets.polling, () => pollingConnection(plan, page()));
  return connections;
}

let connections: Connection[] = [];
let ticker: NodeJS.Timeout | undefined;

const send = (message: FromAttacker) => process.send!(message);

process.on('message', (message: ToAttacker) => {
  if (message.type === 'plan') {
    connections = connectAll(message.plan);
    Promise.all(connections.map((c) => c.opened)).then(() => send({ type: 'ready' }), fail);
  } else if (message.type === 'start') {
    ticker = setInterval(() => connections.forEach((c) => c.tick()), TICK_MS);
  } else if (message.type === 'stop') {
    stopped = true;
    clearInterval(ticker);
    for (const connection of connections) connection.close();
    process.send!({ type: 'tally', tally } satisfies FromAttacker, () => process.exit(0));
  }
});
