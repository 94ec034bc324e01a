import { Decoder, PacketType } from 'socket.io-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMIT_TEXTS } from '../../src/limits/rate-limits.js';
import {
  INSTALLED_INTERNALS,
  tuneEngine,
  type EngineInternals,
  type TuningName,
} from '../../src/realtime/engine-internals.js';
import { LARGE_ARRAY_LENGTH } from '../../src/realtime/large-answers.js';
import type { Message } from '../../src/protocol/types.js';
import { timesLimited } from '../helpers/metrics.js';
import { eventPacket, rawWebSocket } from '../helpers/raw-clients.js';
import {
  api,
  ask,
  collect,
  connect,
  createChat,
  registerUser,
  sleep,
  useServer,
  type TestUser,
} from '../helpers/server.js';
import { chatPair, sendOk, waitFor } from '../helpers/socket-fixtures.js';
import { expectRateLimited } from '../limits/rate-limit-answer.js';

/**
 * A server whose engine tunings are all off (engine-internals.ts found every internal broken, as
 * after an incompatible upgrade) serves on Socket.IO's standard path: the same answers, every
 * safety limit still holding, and one warning at start-up.
 */
const BROKEN: EngineInternals = {
  frame: () => {
    throw new Error('ws exports no Sender.frame');
  },
  webSocketOf: () => undefined,
  tcpStreamOf: () => undefined,
  Decoder,
};
const CAP = 64 * 1024;

/** Build options with every tuning off, its warnings kept in `warnings`. */
function brokenEngine(warnings: Array<Partial<Record<TuningName, string>>>) {
  return async () => {
    const tuning = await tuneEngine((_, { off }) => warnings.push(off), { ...INSTALLED_INTERNALS, ...BROKEN });
    // packetCreate is public API: its fallback is forced here rather than by a broken internal.
    return { engineTuning: { ...tuning, active: { ...tuning.active, answerBytesFromPackets: false } } };
  };
}

describe('a server with every engine tuning off', () => {
  const warnings: Array<Partial<Record<TuningName, string>>> = [];
  const server = useServer({ MAX_QUEUED_BYTES_PER_CONNECTION: String(CAP) }, brokenEngine(warnings));

  it('was announced by one warning naming each tuning off', () => {
    expect(warnings).toHaveLength(1);
    expect(Object.keys(warnings[0]!).sort()).toEqual(['preEncodedAnswers', 'webSocketBacklog', 'writeCoalescing']);
  });

  describe('a chat list of more than LARGE_ARRAY_LENGTH chats', () => {
    let owner: TestUser;
    beforeAll(async () => {
      const [first, partner] = await Promise.all([registerUser(server, 'owner'), registerUser(server, 'partner')]);
      owner = first;
      await Promise.all(
        Array.from({ length: LARGE_ARRAY_LENGTH + 10 }, (_, i) =>
          createChat(server, owner, [partner], `Чат ${i} «😀»`),
        ),
      );
    });

    it('is answered over WebSocket through Socket.IO, the same list as over HTTP', async () => {
      const socket = await connect(server, owner.token);
      const preEncoded: boolean[] = [];
      server.app.io.sockets.sockets
        .get(socket.id!)!
        .conn.on('packetCreate', (packet: { data?: unknown; options?: { wsPreEncodedFrame?: unknown } }) => {
          if (typeof packet.data === 'string' && packet.data.startsWith(String(PacketType.ACK)))
            preEncoded.push(packet.options?.wsPreEncodedFrame !== undefined);
        });
      const answer = await ask(socket, 'get_my_chats');
      const overHttp = await api(server, 'GET', '/chats', { token: owner.token });
      expect(overHttp.status).toBe(200);
      expect(answer).toStrictEqual({ success: true, chats: overHttp.body.chats });
      expect(answer.chats).toHaveLength(LARGE_ARRAY_LENGTH + 10);
      expect(preEncoded).toEqual([false]);
    });
  });

  it('delivers a batch of sends to the other member, in order', async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server, { join: true });
    const received = collect<Message>(bobSocket, 'new_message');
    const texts = ['first', 'second', 'third'];
    const answers = await Promise.all(texts.map((text) => ask(aliceSocket, 'send_message', { chatId, text })));
    expect(answers.every((answer) => answer.success)).toBe(true);
    await waitFor(() => received.length === 3);
    expect(received.map((message) => message.text)).toEqual(texts);
  });

  it('still cuts a WebSocket whose reader stopped once its backlog is past the cap, and serves the others', async () => {
    const { alice, aliceSocket, bobSocket, chatId } = await chatPair(server);
    // A history page of 50 messages of 2,000 characters (~115 KB) is larger than the cap.
    for (let i = 0; i < 50; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => sendOk(aliceSocket, chatId, `${i + j} ${'x'.repeat(2_000)}`)),
      );
    }
    const cutsBefore = await timesLimited(server, 'output_queue');
    const stalled = await rawWebSocket(server, alice.token);
    stalled.webSocket.on('error', () => undefined);
    stalled.webSocket.pause();
    const isConnected = () => server.app.io.of('/').sockets.has(stalled.sid);
    for (let id = 0; isConnected() && id < 2_000; id++) {
      stalled.webSocket.send(eventPacket(id, 'get_chat_messages', { chatId, limit: 50 }));
      if (id % 20 === 19) await sleep(20);
    }
    await waitFor(() => !isConnected(), 10_000, 'the stalled WebSocket cut');
    expect(await timesLimited(server, 'output_queue')).toBe(cutsBefore + 1);
    await sendOk(bobSocket, chatId, 'still served');
    expect((await ask(aliceSocket, 'get_chat_messages', { chatId, limit: 50 })).messages).toHaveLength(50);
    stalled.webSocket.terminate();
  });
});

describe('a server with every engine tuning off, reads paid by weight', () => {
  const server = useServer({ RATE_LIMIT_READ_BYTES_PER_SECOND: String(16 * 1024) }, brokenEngine([]));

  it('charges a big answer to its reader’s bytes, weighed from its JSON', async () => {
    const [writer, reader] = await Promise.all([registerUser(server, 'rb'), registerUser(server, 'rb')]);
    const chatId = await createChat(server, writer, [reader]);
    const writerSocket = await connect(server, writer.token);
    // A page of them weighs ~96 KB (ж is two bytes): past the second's 16 KiB, ~5 s to pay off.
    for (let i = 0; i < 12; i++) await sendOk(writerSocket, chatId, 'ж'.repeat(4_000));
    const readerSocket = await connect(server, reader.token);
    const page = await ask(readerSocket, 'get_chat_messages', { chatId, limit: 100 });
    expect(page.messages).toHaveLength(12);
    expectRateLimited(
      await ask(readerSocket, 'get_chat_messages', { chatId, limit: 1 }),
      RATE_LIMIT_TEXTS.reads,
      10_000,
    );
  });
});
