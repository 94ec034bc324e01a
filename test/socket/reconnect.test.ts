import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/types.js';
import { BoundedSessionAdapter, RECOVERABLE_EVENTS } from '../../src/realtime/recovery.js';
import {
  api,
  ask,
  collect,
  connect,
  createChat,
  nextEvent,
  registerUser,
  sleep,
  useServer,
  type ClientSocket,
  type TestServer,
} from '../helpers/server.js';

/** What socket.io-client keeps to ask for recovery: the session id and the last offset it saw. */
interface ClientInternals {
  _pid?: string;
  _lastOffset?: string;
  io: { engine: { close(): void } };
}
const internals = (socket: ClientSocket) => socket as unknown as ClientInternals;

/** Closes the transport under the socket, as a network cut would (the socket does not reconnect by itself). */
async function cut(socket: ClientSocket): Promise<void> {
  const gone = nextEvent(socket, 'disconnect');
  internals(socket).io.engine.close();
  await gone;
}

/** Reconnects a cut socket, which presents its session id and last offset. */
async function comeBack(socket: ClientSocket): Promise<void> {
  const back = nextEvent(socket, 'connect', 5_000);
  socket.connect();
  await back;
}

/**
 * A client that presents someone's session id and offset with a token of its choice, recording
 * every packet that reaches it — including any written before the handshake's answer.
 */
async function presenting(server: TestServer, auth: { token: string; pid: string; offset: string }) {
  const socket: ClientSocket = connectClient(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false, auth });
  const wire: string[] = [];
  socket.io.on('packet', (packet) => wire.push(JSON.stringify(packet)));
  const outcome = new Promise<'connected' | string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(error.message));
  });
  socket.connect();
  return { socket, wire, outcome: await outcome };
}

/** Alice and Bob in a group chat; Bob's socket has joined it. */
async function bobInAChat(server: TestServer) {
  const alice = await registerUser(server, 'alice');
  const bob = await registerUser(server, 'bob');
  const carol = await registerUser(server, 'carol');
  const chatId = await createChat(server, alice, [bob, carol], 'recovery');
  const aliceSocket = await connect(server, alice.token);
  const bobSocket = await connect(server, bob.token);
  await ask(bobSocket, 'join_chat', { chatId });
  const received = collect<Message>(bobSocket, 'new_message');
  const send = async (text: string) => (await ask(aliceSocket, 'send_message', { chatId, text })).message as Message;
  const first = await send('before the cut');
  await expect.poll(() => received.length).toBe(1);
  return { alice, bob, chatId, bobSocket, received, send, first };
}

describe('connection-state recovery (contract §4)', () => {
  const server = useServer();

  it('a short cut loses nothing: the socket comes back recovered, still in its chats, with what it missed in order', async () => {
    const { bobSocket, received, send, first } = await bobInAChat(server);
    expect(internals(bobSocket)._pid).toEqual(expect.any(String));

    await cut(bobSocket);
    const missed = [await send('one'), await send('two'), await send('three')];
    await comeBack(bobSocket);
    expect(bobSocket.recovered).toBe(true);
    await expect.poll(() => received.length).toBe(4);
    expect(received.map((m) => m.id)).toEqual([first, ...missed].map((m) => m.id));

    // Still in the chat's room without joining again.
    const after = await send('after the cut');
    await expect.poll(() => received.at(-1)?.id).toBe(after.id);
  });

  it('a session id with a bad token: refused, and nothing of the session reaches the wire', async () => {
    const { bobSocket, send } = await bobInAChat(server);
    await cut(bobSocket);
    await send('secret while bob is away');
    const { pid, offset } = { pid: internals(bobSocket)._pid!, offset: internals(bobSocket)._lastOffset! };

    const intruder = await presenting(server, { token: 'not-a-token', pid, offset });
    expect(intruder.outcome).not.toBe('connected');
    await sleep(200);
    expect(intruder.wire.join('\n')).not.toContain('secret');

    // The session is still Bob's to recover.
    const received = collect<Message>(bobSocket, 'new_message');
    await comeBack(bobSocket);
    expect(bobSocket.recovered).toBe(true);
    await expect.poll(() => received.map((m) => m.text)).toEqual(['secret while bob is away']);
  });

  it("another user's valid token with Bob's session id: a fresh connection with none of Bob's rooms or missed messages", async () => {
    const { bobSocket, send } = await bobInAChat(server);
    await cut(bobSocket);
    await send('secret while bob is away');
    const mallory = await registerUser(server, 'mallory');

    const intruder = await presenting(server, { token: mallory.token, pid: internals(bobSocket)._pid!, offset: internals(bobSocket)._lastOffset! });
    expect(intruder.outcome).toBe('connected');
    expect(intruder.socket.recovered).toBe(false);
    await send('secret after mallory connected');
    await sleep(300);
    expect(intruder.wire.join('\n')).not.toContain('secret');
    intruder.socket.close();
  });

  it('a member who left the chat during the cut gets neither its room nor what it missed back, only chat_left', async () => {
    const { bob, chatId, bobSocket, received, send, first } = await bobInAChat(server);
    await cut(bobSocket);
    await send('before bob left');
    expect((await api(server, 'DELETE', `/chats/${chatId}/members/me`, { token: bob.token })).status).toBe(200);
    await send('after bob left');

    const left = nextEvent<{ chatId: string }>(bobSocket, 'chat_left', 5_000);
    await comeBack(bobSocket);
    expect(bobSocket.recovered).toBe(true);
    expect(await left).toEqual({ chatId });
    await send('later still');
    await sleep(300);
    expect(received.map((m) => m.id)).toEqual([first.id]);
  });

  it('counts the sessions clients present by outcome in /metrics', async () => {
    const recoveries = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const count = (outcome: string) => Number(new RegExp(`^parley_session_recoveries_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      return { recovered: count('recovered'), not_found: count('not_found'), other_user: count('other_user') };
    };
    const before = await recoveries();
    const { bobSocket } = await bobInAChat(server);
    await cut(bobSocket);
    const mallory = await registerUser(server, 'mallory');
    const stolen = await presenting(server, { token: mallory.token, pid: internals(bobSocket)._pid!, offset: internals(bobSocket)._lastOffset! });
    stolen.socket.close();
    await comeBack(bobSocket);
    const unknown = await presenting(server, { token: mallory.token, pid: 'no-such-session', offset: 'no-such-offset' });
    unknown.socket.close();

    expect(await recoveries()).toEqual({
      recovered: before.recovered + 1,
      not_found: before.not_found + 1,
      other_user: before.other_user + 1,
    });
  });

  it('an unknown or malformed session is a fresh connection', async () => {
    const bob = await registerUser(server, 'bob');
    for (const auth of [
      { pid: 'no-such-session', offset: 'no-such-offset' },
      { pid: 42, offset: { $gt: '' } },
    ]) {
      const socket = connectClient(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: bob.token, ...auth } });
      await nextEvent(socket as ClientSocket, 'connect');
      expect(socket.recovered).toBe(false);
      expect(await ask(socket as ClientSocket, 'get_my_chats')).toMatchObject({ success: true });
      socket.close();
    }
  });
});

describe('reconnect with RECOVERY_WINDOW=0', () => {
  const server = useServer({ RECOVERY_WINDOW: '0' });

  it('offers no recoverable session: no session id is handed to the client', async () => {
    const alice = await registerUser(server, 'alice');
    const socket = await connect(server, alice.token);
    expect(internals(socket)._pid).toBeUndefined();
  });

  it('a socket that comes back after a cut has no rooms until it joins again, then fills the gap with {after}', async () => {
    const { chatId, bobSocket, received, send, first } = await bobInAChat(server);
    await cut(bobSocket);
    const during = await send('while away');
    await comeBack(bobSocket);
    expect(bobSocket.recovered).toBeFalsy();
    await send('while not joined');
    await sleep(300);
    expect(received.map((m) => m.id)).toEqual([first.id]);

    await ask(bobSocket, 'join_chat', { chatId });
    const gap = await ask(bobSocket, 'get_chat_messages', { chatId, after: first.id, limit: 1 });
    expect(gap.messages.map((m: Message) => m.id)).toEqual([during.id]);
  });
});

describe('the single-node recovery buffer', () => {
  it(`keeps the last ${RECOVERABLE_EVENTS} broadcasts: older sessions are not recovered, newer ones get exactly what they missed`, async () => {
    // A Server with no HTTP server of its own: nothing to listen on, nothing to close.
    const io = new Server({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 }, adapter: BoundedSessionAdapter });
    const adapter = io.of('/').adapter;
    const offsets: string[] = [];
    for (let i = 0; i < RECOVERABLE_EVENTS * 1.5; i++) {
      const packet = { type: 2, data: ['tick', i] as unknown[] };
      adapter.broadcast(packet, { rooms: new Set(), except: new Set() });
      offsets.push(packet.data.at(-1) as string);
    }
    adapter.persistSession({ sid: 'sid', pid: 'pid', rooms: [], data: {} });
    expect(await adapter.restoreSession('pid', offsets[0]!)).toBeNull();
    const recent = await adapter.restoreSession('pid', offsets.at(-4)!);
    expect(recent.missedPackets.map((data) => (data as unknown[])[1])).toEqual([3, 2, 1].map((back) => offsets.length - back));
  });
});
