import type { Socket } from 'socket.io-client';
import { describe, expectTypeOf, it } from 'vitest';
import { connect, type MessageItem, type MessageState, type VersionedEvent } from '../../sdk/index.js';
import type {
  Answer,
  ChatPage,
  ChatPageRequest,
  ChatSummary,
  ClientToServerEvents,
  EventAnswer,
  EventPayload,
  EventSuccess,
  Message,
  ServerToClientEvents,
} from '../../src/protocol/index.js';

/**
 * The README's "Typed SDK" example, checked by `tsc --noEmit` (npm test): a socket.io-client socket
 * typed with the SDK's event maps gets every payload, answer and listener typed.
 */
describe('typed SDK (src/protocol/index.ts)', () => {
  it('types a socket.io-client socket end to end', () => {
    // Never called: only its types are checked.
    async function readmeExample(socket: Socket<ServerToClientEvents, ClientToServerEvents>, chatId: string) {
      socket.on('new_message', (message) => expectTypeOf(message).toEqualTypeOf<Message>());
      const answer = await socket.emitWithAck('send_message', { chatId, text: 'Привет' });
      expectTypeOf(answer).toEqualTypeOf<Answer<{ message: Message }>>();
      if (answer.success) expectTypeOf(answer.message).toEqualTypeOf<Message>();
      else expectTypeOf(answer.error).toBeString();
      // @ts-expect-error: an unknown event is refused
      socket.emit('send_mesage', { chatId, text: 'typo' });
      // @ts-expect-error: a payload missing a required field is refused
      await socket.emitWithAck('send_message', { chatId });
      const page = (await socket.timeout(5_000).emitWithAck('get_chat_messages', { chatId })) as EventSuccess<'get_chat_messages'>;
      expectTypeOf(page.hasMore).toBeBoolean();
      socket.emit('get_my_chats', (answer) => expectTypeOf(answer).toEqualTypeOf<Answer<{ chats: ChatSummary[] }>>());
      socket.emit('get_my_chats', { limit: 20 }, (answer) => expectTypeOf(answer).toEqualTypeOf<Answer<ChatPage>>());
      // @ts-expect-error: a page's limit is a number
      socket.emit('get_my_chats', { limit: '20' }, () => {});
    }
    expectTypeOf(readmeExample).toBeFunction();
  });

  it('derives one event’s payload and answer from the maps', () => {
    // get_my_chats has two forms: the seed's, without a payload, and a page.
    expectTypeOf<EventPayload<'get_my_chats'>>().toEqualTypeOf<[] | [ChatPageRequest]>();
    expectTypeOf<EventPayload<'join_chat'>>().toEqualTypeOf<[{ chatId: string }]>();
    expectTypeOf<EventAnswer<'get_my_chats'>>().toEqualTypeOf<Answer<{ chats: ChatSummary[] }> | Answer<ChatPage>>();
    expectTypeOf<EventSuccess<'mark_read'>['unreadCount']>().toBeNumber();
  });
});

describe('client SDK (sdk/index.ts)', () => {
  it('types the README example: the chat list, a chat’s messages, a send and the chat events', () => {
    // Never called: only its types are checked.
    async function readmeExample(token: string, chatId: string) {
      const client = connect({ url: 'https://chat.example.com', token, refreshToken: async () => token });
      client.chats.subscribe((chats) => expectTypeOf(chats).toEqualTypeOf<ChatSummary[]>());
      const chat = client.messages(chatId);
      chat.subscribe(({ items, hasOlder }) => {
        expectTypeOf(items).toEqualTypeOf<MessageItem[]>();
        expectTypeOf(items[0]!.state).toEqualTypeOf<MessageState>();
        expectTypeOf(items[0]!.message).toEqualTypeOf<Message | undefined>();
        expectTypeOf(hasOlder).toBeBoolean();
      });
      expectTypeOf(await chat.loadOlder()).toBeBoolean();
      const { sent } = await client.send(chatId, 'Привет');
      expectTypeOf(await sent).toEqualTypeOf<Message>();
      client.onChatEvent((event) => expectTypeOf(event).toEqualTypeOf<VersionedEvent>());
      const page = await client.request('search_messages', { query: 'привет' });
      expectTypeOf(page.hits[0]!.message).toEqualTypeOf<Message>();
      // @ts-expect-error: a payload missing a required field is refused
      await client.request('send_message', { chatId });
    }
    expectTypeOf(readmeExample).toBeFunction();
  });
});
