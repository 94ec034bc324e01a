import { Socket as TcpSocket } from 'node:net';
import { io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { ask, collect, type ClientSocket, useServer } from '../helpers/server.js';
import { chatPair, joinOk, waitFor } from '../helpers/socket-fixtures.js';

/**
 * src/realtime/write-coalescing.ts: a batch of sends committed together reaches each member's
 * connection in one write, in order — over WebSocket from the start and after an upgrade from
 * long-polling (the seed's default client).
 */
describe('write coalescing', () => {
  const server = useServer();
  afterEach(() => vi.restoreAllMocks());

  /** What each multi-chunk socket write of this process carried (the server shares it). */
  function recordWrites(): string[] {
    const writes: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the socket as `this`
    const original = TcpSocket.prototype._writev!;
    vi.spyOn(TcpSocket.prototype, '_writev').mockImplementation(function (this: TcpSocket, chunks, callback) {
      writes.push(
        chunks.map(({ chunk }) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())).join(''),
      );
      return original.call(this, chunks, callback);
    });
    return writes;
  }

  async function expectOneWritePerBatch(receiver: ClientSocket, sender: ClientSocket, chatId: string) {
    const received = collect<Message>(receiver, 'new_message');
    const writes = recordWrites();
    const texts = ['first of the batch', 'second of the batch', 'third of the batch'];
    // Sent in one turn, they form one group-commit batch, which settles in one continuation.
    const answers = await Promise.all(texts.map((text) => ask(sender, 'send_message', { chatId, text })));
    expect(answers.every((answer) => answer.success)).toBe(true);
    await waitFor(() => received.length === 3);
    expect(received.map((m) => m.text)).toEqual(texts);
    expect(writes.some((write) => texts.every((text) => write.includes(text)))).toBe(true);
  }

  it('sends a batch to a WebSocket client in one write', async () => {
    const { aliceSocket, bobSocket, chatId } = await chatPair(server, { join: true });
    await expectOneWritePerBatch(bobSocket, aliceSocket, chatId);
  });

  it('sends a batch in one write to a client that upgraded from long-polling', async () => {
    const { bob, aliceSocket, chatId } = await chatPair(server, { join: true });
    const upgraded: ClientSocket = connectClient(server.url, {
      reconnection: false,
      forceNew: true,
      auth: { token: bob.token },
    });
    try {
      await waitFor(() => upgraded.connected && upgraded.io.engine.transport.name === 'websocket');
      await joinOk(upgraded, chatId);
      await expectOneWritePerBatch(upgraded, aliceSocket, chatId);
    } finally {
      upgraded.close();
    }
  });
});
