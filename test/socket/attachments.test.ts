import { describe, expect, it } from 'vitest';
import type { Attachment, ChatSummary, Message, SyncEntry } from '../../src/protocol/types.js';
import { download, SAMPLES, uploadOk } from '../helpers/files.js';
import { ask, collect, connect, createChat, registerUser, useServer } from '../helpers/server.js';
import {
  chatPair,
  expectValidationError,
  FORBIDDEN_ANSWER,
  history,
  joinOk,
  waitFor,
  type ChatPair,
} from '../helpers/socket-fixtures.js';
import { serverEnvFor, storeTargets } from '../helpers/stores.js';

/** The one answer for a file that is not an unsent upload of the sender's, whatever else it is. */
const UNKNOWN_FILE_ANSWER = Object.freeze({
  success: false,
  error: 'Файл не найден',
  code: 'NOT_FOUND',
  field: 'attachments',
});

describe.each(storeTargets.map((t) => t.name))('attachments on %s', (target) => {
  const server = useServer(serverEnvFor(target));

  async function filesOf(pair: ChatPair, count = 2): Promise<Attachment[]> {
    const files: Attachment[] = [];
    files.push(await uploadOk(server, pair.alice, await SAMPLES.png(64, 48), 'pic.png'));
    for (let i = 1; i < count; i++)
      files.push(await uploadOk(server, pair.alice, SAMPLES.text(`file ${i}`), `${i}.txt`));
    return files;
  }

  async function sendWith(pair: ChatPair, text: string, files: Attachment[]): Promise<Message> {
    const answer = await ask(pair.aliceSocket, 'send_message', {
      chatId: pair.chatId,
      text,
      attachments: files.map((f) => f.id),
    });
    expect(answer).toMatchObject({ success: true });
    return answer.message;
  }

  describe('send_message with attachments', () => {
    it('answers the message with its files, in the order given, after the other fields', async () => {
      const pair = await chatPair(server, { join: true });
      const files = await filesOf(pair, 3);
      const ordered = [files[2]!, files[0]!, files[1]!];
      const received = collect<Message>(pair.bobSocket, 'new_message');
      const message = await sendWith(pair, 'three files', ordered);
      expect(message.attachments).toStrictEqual(ordered);
      expect(ordered[1]).toMatchObject({ type: 'image/png', width: 64, height: 48 });
      expect(Object.keys(message).at(-1)).toBe('attachments');
      await waitFor(() => received.length === 1);
      expect(received[0]).toStrictEqual(message);
    });

    it('takes an empty text with attachments, and still refuses it without', async () => {
      const pair = await chatPair(server);
      const [file] = await filesOf(pair, 1);
      const message = await sendWith(pair, '   ', [file!]);
      expect(message.text).toBe('');
      for (const attachments of [[], undefined]) {
        const answer = await ask(pair.aliceSocket, 'send_message', { chatId: pair.chatId, text: ' ', attachments });
        expectValidationError(answer, 'text');
      }
    });

    it.each([
      ['a string', 'f'],
      ['a number', 1],
      ['null', null],
      ['an object', { id: 'x' }],
      ['an array of numbers', [1, 2]],
      ['an array with an empty id', ['']],
      [
        'more than 10 ids',
        Array.from({ length: 11 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
      ],
      ['the same id twice', ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001']],
    ])('refuses attachments as %s with VALIDATION_ERROR, storing nothing', async (_, attachments) => {
      const pair = await chatPair(server);
      const answer = await ask(pair.aliceSocket, 'send_message', { chatId: pair.chatId, text: 'x', attachments });
      expect(answer).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
      expect(answer.field).toMatch(/^attachments/);
      expect((await history(pair.aliceSocket, { chatId: pair.chatId })).messages).toEqual([]);
    });

    it('answers one NOT_FOUND for an unknown id, a malformed one, another user’s file and a file sent already; the send stores nothing', async () => {
      const pair = await chatPair(server);
      const [mine] = await filesOf(pair, 1);
      const bobs = await uploadOk(server, pair.bob, SAMPLES.text('bob’s'), 'bob.txt');
      const sent = (await filesOf(pair, 1))[0]!;
      await sendWith(pair, 'first', [sent]);
      for (const foreign of ['00000000-0000-4000-8000-000000000000', 'not-a-file', bobs.id, sent.id]) {
        const answer = await ask(pair.aliceSocket, 'send_message', {
          chatId: pair.chatId,
          text: 'x',
          attachments: [mine!.id, foreign],
        });
        expect(answer).toStrictEqual(UNKNOWN_FILE_ANSWER);
      }
      expect((await history(pair.aliceSocket, { chatId: pair.chatId })).messages).toHaveLength(1);
      // Neither file was taken: each owner can still send their own.
      await sendWith(pair, 'now', [mine!]);
      const bobsAnswer = await ask(pair.bobSocket, 'send_message', {
        chatId: pair.chatId,
        text: '',
        attachments: [bobs.id],
      });
      expect(bobsAnswer).toMatchObject({ success: true, message: { attachments: [bobs] } });
    });

    it('answers FORBIDDEN for a chat the sender is not in, and the file stays unsent', async () => {
      const pair = await chatPair(server);
      const carol = await registerUser(server, 'carol');
      const strangers = await createChat(server, pair.bob, [carol]);
      const [file] = await filesOf(pair, 1);
      const answer = await ask(pair.aliceSocket, 'send_message', {
        chatId: strangers,
        text: 'x',
        attachments: [file!.id],
      });
      expect(answer).toStrictEqual(FORBIDDEN_ANSWER);
      await sendWith(pair, 'still mine', [file!]);
    });

    it('attaches a file to one message only when two sends race for it', async () => {
      const pair = await chatPair(server);
      const [file] = await filesOf(pair, 1);
      const answers = await Promise.all(
        [1, 2, 3].map((i) =>
          ask(pair.aliceSocket, 'send_message', { chatId: pair.chatId, text: `race ${i}`, attachments: [file!.id] }),
        ),
      );
      expect(answers.filter((a) => a.success)).toHaveLength(1);
      expect(answers.filter((a) => !a.success)).toEqual([UNKNOWN_FILE_ANSWER, UNKNOWN_FILE_ANSWER]);
    });

    it('answers a retry (same clientMessageId) with the original and its files', async () => {
      const pair = await chatPair(server);
      const [file] = await filesOf(pair, 1);
      const payload = { chatId: pair.chatId, text: 'once', clientMessageId: 'c-1', attachments: [file!.id] };
      const first = await ask(pair.aliceSocket, 'send_message', payload);
      const retry = await ask(pair.aliceSocket, 'send_message', payload);
      expect(retry).toStrictEqual(first);
      expect(first.message.attachments).toEqual([file]);
    });
  });

  describe('reading messages with attachments', () => {
    it('carries them in history, join_chat, sync, the chat list and over HTTP', async () => {
      const pair = await chatPair(server);
      const files = await filesOf(pair, 2);
      const message = await sendWith(pair, 'look', files);
      const [inHistory] = (await history(pair.bobSocket, { chatId: pair.chatId })).messages;
      expect(inHistory).toStrictEqual(message);
      expect(await joinOk(pair.bobSocket, pair.chatId)).toStrictEqual([message]);
      const sync = await ask(pair.bobSocket, 'sync', { chats: [{ chatId: pair.chatId, version: 0 }] });
      expect((sync.chats[0] as Extract<SyncEntry, { success: true }>).messages).toStrictEqual([message]);
      const list = await ask(pair.bobSocket, 'get_my_chats');
      const chat = (list.chats as ChatSummary[]).find((c) => c.id === pair.chatId)!;
      expect(chat.messages).toStrictEqual([message]);
      // Bob, a member, reads the files.
      for (const file of files) expect((await download(server, pair.bob, `/files/${file.id}`)).status).toBe(200);
    });

    it('keeps them through an edit, in the answer and in message_updated', async () => {
      const pair = await chatPair(server, { join: true });
      const files = await filesOf(pair, 2);
      const message = await sendWith(pair, 'before', files);
      const updates = collect<Message>(pair.bobSocket, 'message_updated');
      const edit = await ask(pair.aliceSocket, 'edit_message', { messageId: message.id, text: 'after' });
      expect(edit).toMatchObject({ success: true, message: { text: 'after', attachments: files } });
      await waitFor(() => updates.length === 1);
      expect(updates[0]).toStrictEqual(edit.message);
    });

    it('shows none on a tombstone, in the answer, in sync and in the chat list, and the files are gone', async () => {
      const pair = await chatPair(server, { join: true });
      const files = await filesOf(pair, 2);
      const message = await sendWith(pair, 'regret', files);
      const deleted = await ask(pair.aliceSocket, 'delete_message', { messageId: message.id });
      expect(deleted.success).toBe(true);
      expect(deleted.message.attachments).toBeUndefined();
      const sync = await ask(pair.bobSocket, 'sync', { chats: [{ chatId: pair.chatId, version: 0 }] });
      const [tombstone] = (sync.chats[0] as Extract<SyncEntry, { success: true }>).messages;
      expect(tombstone).toMatchObject({ id: message.id, text: '', deletedAt: expect.any(String) });
      expect(tombstone!.attachments).toBeUndefined();
      const list = await ask(pair.aliceSocket, 'get_my_chats');
      expect((list.chats as ChatSummary[]).find((c) => c.id === pair.chatId)!.messages[0]!.attachments).toBeUndefined();
      for (const file of files) expect((await download(server, pair.alice, `/files/${file.id}`)).status).toBe(404);
      expect(await server.app.store.files.countUnattached(pair.alice.user.id)).toBe(0);
    });

    it('keeps a message without attachments exactly as before (no attachments field)', async () => {
      const pair = await chatPair(server);
      const answer = await ask(pair.aliceSocket, 'send_message', { chatId: pair.chatId, text: 'plain' });
      expect('attachments' in answer.message).toBe(false);
      const [read] = (await history(pair.aliceSocket, { chatId: pair.chatId })).messages;
      expect('attachments' in read!).toBe(false);
    });
  });

  describe('expiry of uploads never sent', () => {
    it('sweeps unsent uploads older than FILE_ORPHAN_TTL, never sent ones', async () => {
      const pair = await chatPair(server);
      const [sent, unsent] = await filesOf(pair, 2);
      await sendWith(pair, 'kept', [sent!]);
      const files = server.app.store.files;
      // Nothing is old enough yet.
      expect(await files.sweepOrphans(3600)).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await files.sweepOrphans(1)).toBeGreaterThanOrEqual(1);
      expect((await download(server, pair.alice, `/files/${unsent!.id}`)).status).toBe(404);
      expect((await download(server, pair.bob, `/files/${sent!.id}`)).status).toBe(200);
    });
  });
});

describe('attachments: another socket of a member', () => {
  const server = useServer();

  it('delivers new_message with attachments to every member’s joined socket', async () => {
    const pair = await chatPair(server, { join: true });
    const bobAgain = await connect(server, pair.bob.token);
    await joinOk(bobAgain, pair.chatId);
    const received = collect<Message>(bobAgain, 'new_message');
    const file = await uploadOk(server, pair.alice, SAMPLES.text('hi'), 'hi.txt');
    await ask(pair.aliceSocket, 'send_message', { chatId: pair.chatId, text: '', attachments: [file.id] });
    await waitFor(() => received.length === 1);
    expect(received[0]!.attachments).toEqual([file]);
  });
});
