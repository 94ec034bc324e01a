import type { Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import {
  ask,
  connect,
  createChat,
  registerUser,
  sleep,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from './server.js';

/** The one answer for a chat that is someone else's, unknown, or not even an id (contract §3). */
export const FORBIDDEN_ANSWER = Object.freeze({
  success: false,
  error: 'У вас нет доступа к этому чату',
  code: 'FORBIDDEN',
});

/** The answer to a change (reaction, pin) of a deleted message. */
export const DELETED_ANSWER = Object.freeze({
  success: false,
  error: 'Сообщение удалено',
  code: 'NOT_FOUND',
  field: 'messageId',
});

/** ISO 8601 UTC with milliseconds, as in the seed's `createdAt`. */
export const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A well-formed chat id that names no chat. */
export const UNKNOWN_CHAT_ID = '00000000-0000-4000-8000-000000000000';
export const MALFORMED_CHAT_ID = 'not-a-chat-id';

/** How long a "nothing arrives" check waits after a positive control proved delivery works. */
export const QUIET_MS = 300;

export interface ChatPair {
  alice: TestUser;
  bob: TestUser;
  chatId: string;
  aliceSocket: ClientSocket;
  bobSocket: ClientSocket;
}

/** Two fresh users, a direct chat between them and one connected socket each (joined when asked). */
export async function chatPair(server: TestServer, options: { join?: boolean } = {}): Promise<ChatPair> {
  const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
  const chatId = await createChat(server, alice, [bob]);
  const [aliceSocket, bobSocket] = await Promise.all([connect(server, alice.token), connect(server, bob.token)]);
  if (options.join) {
    await joinOk(aliceSocket, chatId);
    await joinOk(bobSocket, chatId);
  }
  return { alice, bob, chatId, aliceSocket, bobSocket };
}

/** join_chat that must succeed; returns the page it answered. */
export async function joinOk(socket: ClientSocket, chatId: string): Promise<Message[]> {
  const answer = await ask(socket, 'join_chat', { chatId });
  expect(answer).toMatchObject({ success: true, messages: expect.any(Array) });
  return answer.messages;
}

/** send_message that must succeed; returns the stored message. */
export async function sendOk(
  socket: ClientSocket,
  chatId: string,
  text: string,
  clientMessageId?: string,
): Promise<Message> {
  const answer = await ask(socket, 'send_message', { chatId, text, ...(clientMessageId ? { clientMessageId } : {}) });
  expect(answer).toMatchObject({ success: true, message: { chatId } });
  return answer.message;
}

/** Sends `count` messages one after another (each acknowledged before the next). */
export async function sendMany(
  socket: ClientSocket,
  chatId: string,
  count: number,
  prefix = 'message',
): Promise<Message[]> {
  const sent: Message[] = [];
  for (let i = 0; i < count; i++) sent.push(await sendOk(socket, chatId, `${prefix} ${i}`));
  return sent;
}

/** get_chat_messages that must succeed. */
export async function history(
  socket: ClientSocket,
  query: { chatId: string; before?: string; after?: string; limit?: number },
): Promise<{ messages: Message[]; hasMore: boolean }> {
  const answer = await ask(socket, 'get_chat_messages', query);
  expect(answer).toMatchObject({ success: true, messages: expect.any(Array), hasMore: expect.any(Boolean) });
  return answer;
}

export const idsOf = (messages: readonly { id: string }[]) => messages.map((m) => m.id);

/** Emits without an acknowledgement callback, with any event name and arguments. */
export function emitRaw(socket: ClientSocket, event: string, ...args: unknown[]): void {
  (socket as unknown as Socket).emit(event, ...args);
}

/** Waits until `predicate` holds, polling; fails after `ms`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  ms = 3_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await sleep(10);
  }
}

/**
 * A VALIDATION_ERROR that names `field` (undefined: the payload as a whole is wrong). Schema
 * errors also name the field in the text; service errors (e.g. empty text) only in `field`.
 */
export function expectValidationError(answer: unknown, field: string | undefined): void {
  if (field === undefined) {
    expect(answer).toStrictEqual({ success: false, code: 'VALIDATION_ERROR', error: expect.stringMatching(/\S/) });
  } else {
    expect(answer).toStrictEqual({
      success: false,
      code: 'VALIDATION_ERROR',
      error: expect.stringMatching(/\S/),
      field,
    });
  }
}

/** Payloads that are not objects at all. */
export const NON_OBJECT_PAYLOADS: readonly [string, unknown][] = [
  ['a string', 'hello'],
  ['a number', 42],
  ['null', null],
  ['an array', [{ chatId: UNKNOWN_CHAT_ID, text: 'x' }]],
  ['a boolean', true],
];
