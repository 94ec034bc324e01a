import type { Socket } from 'socket.io-client';
import { describe, expectTypeOf, it } from 'vitest';
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
