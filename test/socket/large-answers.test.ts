import fc from 'fast-check';
import { Encoder, PacketType } from 'socket.io-parser';
import { io as connectClient } from 'socket.io-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChatSummaryText } from '../../src/protocol/chat-summary-text.js';
import { encodeLargeAnswer, LARGE_ARRAY_LENGTH } from '../../src/realtime/large-answers.js';
import { PayloadBuffers } from '../../src/realtime/payload-buffers.js';
import {
  api,
  ask,
  connect,
  createChat,
  registerUser,
  useServer,
  type ClientSocket,
  type TestUser,
} from '../helpers/server.js';
import { sendOk, waitFor } from '../helpers/socket-fixtures.js';

/** What Socket.IO itself sends as the acknowledgement `id` of `answer`: the Engine.IO message text. */
const socketIoFrame = (id: number, answer: object) =>
  `4${new Encoder().encode({ type: PacketType.ACK, id, nsp: '/', data: [answer] })[0]}`;

/**
 * src/realtime/large-answers.ts: an answer with a large array (a chat list of hundreds of chats)
 * leaves as a frame built in pieces. The client must not be able to tell: the bytes are the ones
 * Socket.IO would have sent, on WebSocket, and long-polling clients get Socket.IO's own answer.
 */
describe('large answers', () => {
  describe('encodeLargeAnswer', () => {
    it('writes the bytes socket.io-parser writes, for any JSON answer with a large array', () => {
      // Any JSON-like values, strings with every kind of code point (lone surrogates included),
      // and properties JSON leaves out (undefined); the large array in any position.
      const value = fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }), fc.constant(undefined));
      const element = fc.oneof(fc.dictionary(fc.string({ unit: 'binary' }), value), value);
      fc.assert(
        fc.property(
          fc.nat(),
          fc.array(element, { minLength: LARGE_ARRAY_LENGTH + 1, maxLength: 600 }),
          fc.dictionary(fc.string({ unit: 'binary' }), value, { maxKeys: 4 }),
          fc.boolean(),
          (id, array, others, arrayFirst) => {
            const answer = arrayFirst ? { list: array, ...others } : { ...others, list: array };
            const encoded = encodeLargeAnswer(id, answer);
            expect(encoded?.payload.toString()).toBe(socketIoFrame(id, answer));
            expect(`4${encoded?.text}`).toBe(socketIoFrame(id, answer));
          },
        ),
        { numRuns: 60 },
      );
    });

    it('splits elements of any size, one of them over 128 KiB', () => {
      const huge = 'x'.repeat(200 * 1024);
      const answer = {
        success: true,
        chats: Array.from({ length: 300 }, (_, i) => (i === 150 ? { huge } : { i, name: 'чат' })),
      };
      expect(encodeLargeAnswer(7, answer)?.payload.toString()).toBe(socketIoFrame(7, answer));
    });

    it('writes values that write their own JSON (chat lists, of any length) as socket.io-parser writes them', () => {
      // Chats as the store writes them: JSON around members that several chats share, which the
      // encoder writes once each; socket.io-parser stringifies each chat's toJSON.
      const member = fc.record({
        id: fc.uuid(),
        email: fc.string({ unit: 'binary' }),
        username: fc.string(),
        online: fc.boolean(),
      });
      fc.assert(
        fc.property(
          fc.nat(),
          fc.array(member, { minLength: 1, maxLength: 8 }),
          fc.array(fc.tuple(fc.uuid(), fc.option(fc.string({ unit: 'binary' })), fc.jsonValue(), fc.nat()), {
            minLength: 1,
            maxLength: 300,
          }),
          (id, members, chats) => {
            const answer = {
              success: true,
              chats: chats.map(
                ([chatId, name, rest, pick]) =>
                  new ChatSummaryText(
                    chatId,
                    `{"id":${JSON.stringify(chatId)},"name":${JSON.stringify(name)},"users":`,
                    members.filter((_, i) => (pick >> i) % 2 === 1),
                    `,"rest":${JSON.stringify(rest)}}`,
                  ),
              ),
              hasMore: false,
            };
            const encoded = encodeLargeAnswer(id, answer);
            expect(encoded?.payload.toString()).toBe(socketIoFrame(id, answer));
            expect(`4${encoded?.text}`).toBe(socketIoFrame(id, answer));
          },
        ),
        { numRuns: 40 },
      );
    });

    it('leaves answers without a large array to Socket.IO', () => {
      expect(
        encodeLargeAnswer(1, { success: true, messages: Array.from({ length: LARGE_ARRAY_LENGTH }, (_, i) => i) }),
      ).toBeUndefined();
      expect(encodeLargeAnswer(1, { success: true, chats: [] })).toBeUndefined();
    });
  });

  describe('PayloadBuffers', () => {
    it('hands a buffer out again only after it was given back', () => {
      const buffers = new PayloadBuffers();
      const first = buffers.take(100_000);
      const second = buffers.take(100_000);
      expect(first.buffer).not.toBe(second.buffer);
      expect(first.length).toBeGreaterThanOrEqual(100_000);
      buffers.giveBack(first);
      expect(buffers.take(50_000)).toBe(first);
      expect(buffers.take(50_000)).not.toBe(first);
    });

    it('keeps a bounded number of buffers, none above its size limit, and hands out only ones that fit', () => {
      const buffers = new PayloadBuffers(2, 200_000);
      const [a, b, c, huge] = [buffers.take(10), buffers.take(10), buffers.take(10), buffers.take(300_000)];
      for (const buffer of [a, b, c, huge]) buffers.giveBack(buffer);
      expect([buffers.take(10), buffers.take(10)]).toEqual([a, b]);
      expect(buffers.take(10)).not.toBe(c);
      buffers.giveBack(a);
      expect(buffers.take(a.length + 1)).not.toBe(a);
    });
  });

  describe('get_my_chats of a user in more than LARGE_ARRAY_LENGTH chats', () => {
    const server = useServer();
    const CHATS = LARGE_ARRAY_LENGTH + 22;
    let owner: TestUser;

    beforeAll(async () => {
      const [first, partner] = await Promise.all([registerUser(server, 'owner'), registerUser(server, 'partner')]);
      owner = first;
      for (let i = 0; i < CHATS; i++) await createChat(server, owner, [partner], `Чат ${i} «${'😀'.repeat(i % 3)}»`);
      const ownerSocket = await connect(server, owner.token);
      const [newest] = (await ask(ownerSocket, 'get_my_chats')).chats;
      await sendOk(ownerSocket, newest.id, 'последнее сообщение');
      ownerSocket.close();
    });

    /** Whether the server answered `client`'s next acknowledgements with a pre-encoded frame. */
    function watchAnswers(client: ClientSocket): { preEncoded: boolean[] } {
      const seen = { preEncoded: [] as boolean[] };
      const conn = server.app.io.sockets.sockets.get(client.id!)!.conn;
      conn.on('packetCreate', (packet: { data?: unknown; options?: { wsPreEncodedFrame?: unknown } }) => {
        if (typeof packet.data === 'string' && packet.data.startsWith(String(PacketType.ACK))) {
          seen.preEncoded.push(packet.options?.wsPreEncodedFrame !== undefined);
        }
      });
      return seen;
    }

    /** The same list through HTTP (`online` for the owner's WebSocket, which is connected). */
    async function chatListOverHttp() {
      const { status, body } = await api(server, 'GET', '/chats', { token: owner.token });
      expect(status).toBe(200);
      expect(body.chats).toHaveLength(CHATS);
      return body.chats;
    }

    it('answers over WebSocket with a pre-encoded frame holding the whole list', async () => {
      const socket = await connect(server, owner.token);
      const seen = watchAnswers(socket);
      const expected = await chatListOverHttp();
      const answer = await ask(socket, 'get_my_chats');
      expect(answer).toStrictEqual({ success: true, chats: expected });
      expect(answer.chats[0].messages[0].text).toBe('последнее сообщение');
      expect(seen.preEncoded).toEqual([true]);
    });

    it('answers several calls in flight on one socket, each to its own callback, beside small answers', async () => {
      const socket = await connect(server, owner.token);
      const seen = watchAnswers(socket);
      const expectedList = await chatListOverHttp();
      const chatId = expectedList[0].id;
      const [first, page, second, third] = await Promise.all([
        ask(socket, 'get_my_chats'),
        ask(socket, 'get_chat_messages', { chatId, limit: 1 }),
        ask(socket, 'get_my_chats'),
        ask(socket, 'get_my_chats'),
      ]);
      for (const list of [first, second, third]) expect(list).toStrictEqual({ success: true, chats: expectedList });
      expect(page).toMatchObject({ success: true, messages: [{ text: 'последнее сообщение' }], hasMore: false });
      expect(seen.preEncoded.sort()).toEqual([false, true, true, true]);
    });

    it('never writes an answer into a buffer that a socket is still sending', async () => {
      const sockets = await Promise.all([connect(server, owner.token), connect(server, owner.token)]);
      // Each answer's payload, and Engine.IO's "written" callback, held back until released.
      const held: Array<{ payload: Buffer; written?: () => void }> = [];
      for (const client of sockets) {
        const conn = server.app.io.sockets.sockets.get(client.id!)!.conn;
        const write = conn.write.bind(conn);
        conn.write = ((data: string, options: { wsPreEncodedFrame?: Buffer[] }, written?: () => void) => {
          if (options?.wsPreEncodedFrame) held.push({ payload: options.wsPreEncodedFrame[1]!, written });
          return write(data, options as Parameters<typeof write>[1]);
        }) as typeof conn.write;
      }
      const expectedList = await chatListOverHttp();
      for (let i = 0; i < 6; i++) {
        expect(await ask(sockets[i % 2]!, 'get_my_chats')).toStrictEqual({ success: true, chats: expectedList });
      }
      // None was reported written, so none may share memory with another.
      expect(new Set(held.map(({ payload }) => payload.buffer)).size).toBe(6);

      // Once written, they serve the next answers (those six took whatever was spare before).
      const released = held.splice(0);
      for (const { written } of released) written!();
      expect(await ask(sockets[0], 'get_my_chats')).toStrictEqual({ success: true, chats: expectedList });
      expect(released.map(({ payload }) => payload.buffer)).toContain(held[0]!.payload.buffer);
    });

    it('answers a long-polling client through Socket.IO, with the same list', async () => {
      const polling: ClientSocket = connectClient(server.url, {
        transports: ['polling'],
        reconnection: false,
        forceNew: true,
        auth: { token: owner.token },
      });
      try {
        await waitFor(() => polling.connected);
        const seen = watchAnswers(polling);
        const answer = await ask(polling, 'get_my_chats');
        expect(answer).toStrictEqual({ success: true, chats: await chatListOverHttp() });
        expect(seen.preEncoded).toEqual([false]);
      } finally {
        polling.close();
      }
    });
  });
});
