import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Socket as EngineSocket } from 'engine.io';
import { Server } from 'socket.io';
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import * as ws from 'ws';

/**
 * The one module of Parley that relies on what Socket.IO, Engine.IO, socket.io-parser and ws do
 * not declare — package.json pins engine.io and socket.io-parser to patch releases for it ("//"):
 *
 * - ws's `Sender.frame` (exported, untyped) builds a WebSocket text frame, and Engine.IO's
 *   WebSocket transport sends a packet's undeclared `wsPreEncodedFrame` option as it is — the path
 *   Socket.IO's own broadcasts take. Large answers use both (large-answers.ts).
 * - A decoder given to Socket.IO's `parser` option notes each event's acknowledgement id, which
 *   Socket.IO keeps in a closure: it relies on Socket.IO handing the decoded packet's `data` array
 *   itself to the packet middlewares, and on the decoder's listeners running before Socket.IO's.
 * - Engine.IO's WebSocket transport keeps the ws WebSocket it serves as `socket` (private), whose
 *   `bufferedAmount` and `terminate()` the output cap uses (queued-output.ts).
 * - ws keeps the TCP stream under a WebSocket as `_socket` (private), which write coalescing
 *   corks (write-coalescing.ts).
 * - Engine.IO emits `packetCreate` synchronously within `write`: the event is public, its timing
 *   is not; answer bytes are counted from it (answer-bytes.ts).
 *
 * `tuneEngine` checks all of them at start-up on a real connection (a throw-away Socket.IO server
 * on a loopback port and a ws client) and turns on only the tunings whose every piece behaved.
 * The others take the standard path, announced by one warning: the server answers the same,
 * more slowly. See EngineTuning for what each fallback is.
 */

/** The tunings, each on only when the start-up probe confirmed everything it relies on. */
export const TUNINGS = ['preEncodedAnswers', 'writeCoalescing', 'webSocketBacklog', 'answerBytesFromPackets'] as const;
export type TuningName = (typeof TUNINGS)[number];

/** The undeclared members reached, as functions; tests pass broken ones to force the fallbacks. */
export interface EngineInternals {
  /** ws's `Sender.frame`: the unmasked text frame (header, then `payload`) a server sends. */
  frame(payload: Buffer): Buffer[];
  /** The ws WebSocket under a connection that is on WebSocket now (Engine.IO's `transport.socket`). */
  webSocketOf(connection: EngineSocket): ws.WebSocket | undefined;
  /** The TCP stream under a ws WebSocket (ws's `_socket`); undefined once it is gone. */
  tcpStreamOf(webSocket: ws.WebSocket): Duplex | undefined;
  /** The decoder for Socket.IO's `parser` option, noting answer ids (see AnswerIdDecoder). */
  Decoder: typeof Decoder;
}

/**
 * What the rest of the gateway uses, with each tuning on or, when the probe found it broken, its
 * fallback (the standard path):
 * - preEncodedAnswers off: large answers go through Socket.IO's acknowledgement — the same bytes,
 *   but one long string that ws flattens and Node copies again (docs/performance.md);
 * - writeCoalescing off: every frame is its own write system call;
 * - webSocketBacklog off: the output cap counts Engine.IO's write buffer only and cuts through
 *   Engine.IO's close; memory stays bounded (queued-output.ts says how);
 * - answerBytesFromPackets off: an answer's weight is the length of its JSON, stringified again.
 */
export interface EngineTuning {
  readonly active: Readonly<Record<TuningName, boolean>>;
  /** Socket.IO's `parser` option; undefined keeps Socket.IO's own. */
  readonly parser: { Encoder: typeof Encoder; Decoder: typeof Decoder } | undefined;
  /** The acknowledgement id of the event whose arguments array (as packet middlewares get it) is `eventArgs`. */
  answerIdOf(eventArgs: object): number | undefined;
  /** Whether writeFrame can send on `connection` now: preEncodedAnswers is on and the connection is on WebSocket. */
  canWriteFrame(connection: EngineSocket): boolean;
  /**
   * Queues the packet `text` (as Engine.IO queues any packet, for the output cap and answer bytes)
   * to leave as one frame around `payload`, its Engine.IO message ("4" + text) in UTF-8. Only when
   * canWriteFrame: on WebSocket, and only there, `written` runs once the socket's write completed
   * (never, if the connection fails first), so `payload` may be reused from then on.
   */
  writeFrame(connection: EngineSocket, text: string, payload: Buffer, written: () => void): void;
  /** The TCP stream under a connection on WebSocket, to cork; undefined when writeCoalescing is off. */
  tcpStreamOf(connection: EngineSocket): Duplex | undefined;
  /** Bytes ws holds for a connection and has not handed to the operating system; 0 when webSocketBacklog is off. */
  webSocketBacklog(connection: EngineSocket): number;
  /** Destroys the TCP connection under a connection on WebSocket at once; does nothing when webSocketBacklog is off. */
  terminate(connection: EngineSocket): void;
}

/** Engine.IO reads `wsPreEncodedFrame` from a packet's options; its types declare only `compress`. */
type SendOptions = Parameters<EngineSocket['write']>[1];

/** An event's arguments array (what packet middlewares receive) → the id its answer carries. */
const answerIds = new WeakMap<object, number>();

/**
 * socket.io-parser's decoder, noting each event's acknowledgement id beside the event's
 * arguments, so that the event gate can address an answer itself (large-answers.ts).
 */
class AnswerIdDecoder extends Decoder {
  constructor(...args: ConstructorParameters<typeof Decoder>) {
    super(...args);
    // Registered before Socket.IO's own listener, so the id is known before the event runs.
    this.on('decoded', (packet: Packet) => {
      if (packet.type === PacketType.EVENT && packet.id !== undefined && Array.isArray(packet.data)) {
        answerIds.set(packet.data, packet.id);
      }
    });
  }
}

/** ws's Sender, exported by ws but left out of its types. */
const Sender = (ws as unknown as { Sender?: { frame?: unknown } }).Sender;
type FrameOptions = { readOnly: boolean; mask: boolean; rsv1: boolean; opcode: number; fin: boolean };

/** The installed libraries' internals. */
export const INSTALLED_INTERNALS: EngineInternals = {
  frame(payload) {
    if (typeof Sender?.frame !== 'function') throw new Error('ws exports no Sender.frame');
    const frame = Sender.frame as (data: Buffer, options: FrameOptions) => Buffer[];
    return frame(payload, { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true });
  },
  webSocketOf(connection) {
    const transport = connection.transport;
    if (transport?.name !== 'websocket') return undefined;
    return (transport as unknown as { socket?: ws.WebSocket }).socket;
  },
  tcpStreamOf(webSocket) {
    return (webSocket as unknown as { _socket?: Duplex | null })._socket ?? undefined;
  },
  Decoder: AnswerIdDecoder,
};

/**
 * Probes `internals` (the installed ones by default) and returns the tuning to serve with; calls
 * `warn` once when a tuning is off, naming each and why.
 */
export async function tuneEngine(
  warn: (message: string, detail: { off: Partial<Record<TuningName, string>> }) => void,
  internals: EngineInternals = INSTALLED_INTERNALS,
): Promise<EngineTuning> {
  // The installed libraries do not change while the process runs: probed once.
  const problems = await (internals === INSTALLED_INTERNALS ? (installedProbe ??= probe(internals)) : probe(internals));
  if (problems.size > 0) {
    warn(
      `engine tuning off: ${[...problems.keys()].join(', ')} — served by Socket.IO's standard path ` +
        '(same answers, slower). An upgrade of Socket.IO, Engine.IO, socket.io-parser or ws changed ' +
        'what src/realtime/engine-internals.ts relies on.',
      { off: Object.fromEntries(problems) },
    );
  }
  const active = Object.fromEntries(TUNINGS.map((name) => [name, !problems.has(name)])) as Record<TuningName, boolean>;
  return tuningWith(internals, active);
}

let installedProbe: Promise<Map<TuningName, string>> | undefined;

function tuningWith(internals: EngineInternals, active: Record<TuningName, boolean>): EngineTuning {
  const canWriteFrame = (connection: EngineSocket) =>
    active.preEncodedAnswers && connection.transport.name === 'websocket';
  return {
    active,
    parser: active.preEncodedAnswers ? { Encoder, Decoder: internals.Decoder } : undefined,
    answerIdOf: (eventArgs) => (active.preEncodedAnswers ? answerIds.get(eventArgs) : undefined),
    canWriteFrame,
    writeFrame(connection, text, payload, written) {
      if (!canWriteFrame(connection)) throw new Error('writeFrame: not on WebSocket, or pre-encoded answers are off');
      connection.write(text, { wsPreEncodedFrame: internals.frame(payload) } as SendOptions, written);
    },
    tcpStreamOf(connection) {
      if (!active.writeCoalescing) return undefined;
      const webSocket = internals.webSocketOf(connection);
      const stream = webSocket && internals.tcpStreamOf(webSocket);
      return stream && !stream.destroyed ? stream : undefined;
    },
    webSocketBacklog: (connection) =>
      active.webSocketBacklog ? (internals.webSocketOf(connection)?.bufferedAmount ?? 0) : 0,
    terminate(connection) {
      if (active.webSocketBacklog) internals.webSocketOf(connection)?.terminate();
    },
  };
}

/** How long the probe waits for each thing it expects; only a broken internal makes it wait. */
const PROBE_WAIT_MS = 1_000;

/**
 * Runs every tuning once on a throw-away Socket.IO server (the gateway's relevant options) and ws
 * clients on a loopback port; returns each tuning that failed, with why.
 */
async function probe(internals: EngineInternals): Promise<Map<TuningName, string>> {
  const problems = new Map<TuningName, string>();
  /** Runs one check, unless its tunings are off already; when it throws, they are off with its message. */
  const check = async (tunings: TuningName[], run: () => unknown) => {
    if (tunings.every((name) => problems.has(name))) return;
    try {
      await run();
    } catch (error) {
      for (const name of tunings)
        if (!problems.has(name)) problems.set(name, error instanceof Error ? error.message : String(error));
    }
  };

  const httpServer = createServer();
  // As the gateway's options: Engine.IO sends pre-encoded frames only without perMessageDeflate.
  const io = new Server(httpServer, {
    transports: ['websocket'],
    perMessageDeflate: false,
    serveClient: false,
    parser: { Encoder, Decoder: internals.Decoder },
  });
  const clients: ws.WebSocket[] = [];
  try {
    await new Promise<void>((resolve, reject) => httpServer.once('error', reject).listen(0, '127.0.0.1', resolve));
    const { port } = httpServer.address() as AddressInfo;
    const connect = async () => {
      const opened = within(once(io.engine, 'connection') as Promise<[EngineSocket]>, 'no Engine.IO connection');
      const client = new ws.WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
      clients.push(client);
      // A client's failure shows as what it never receives.
      client.on('error', () => undefined);
      const inbox = new Inbox(client);
      const [[connection]] = await Promise.all([
        opened,
        within(once(client, 'open'), 'the probe client did not connect'),
      ]);
      return { client, inbox, connection };
    };

    // Engine.IO and ws, on a connection cut at the end.
    const { client, inbox, connection } = await connect();
    await check(['answerBytesFromPackets'], () => {
      let counted = 0;
      const count = (packet: { data?: unknown }) =>
        (counted += typeof packet.data === 'string' ? packet.data.length : 0);
      connection.on('packetCreate', count);
      connection.write('probe');
      connection.off('packetCreate', count);
      assert(
        counted === 'probe'.length,
        `Engine.IO's packetCreate counted ${counted} characters within write('probe')`,
      );
    });

    let webSocket: ws.WebSocket | undefined;
    await check(['writeCoalescing', 'webSocketBacklog'], () => {
      webSocket = internals.webSocketOf(connection);
      assert(
        webSocket?.readyState === ws.WebSocket.OPEN &&
          typeof webSocket.bufferedAmount === 'number' &&
          typeof webSocket.terminate === 'function',
        "Engine.IO's WebSocket transport keeps no open ws WebSocket as `socket`",
      );
    });
    await check(['writeCoalescing', 'webSocketBacklog'], async () => {
      // A WebSocket connection's first request is its upgrade, whose TCP socket ws took over.
      const stream = internals.tcpStreamOf(webSocket!);
      const found = stream === connection.request.socket && typeof stream.cork === 'function';
      await check(['writeCoalescing'], () => assert(found, 'ws keeps no TCP stream under a WebSocket as `_socket`'));
      // Without the stream, bufferedAmount is only known to be a number.
      if (!found) return;
      // A frame sent while the stream is corked stays in it: two bytes of header, seven of text.
      stream.cork();
      webSocket!.send('4corked');
      const held = { stream: stream.writableLength, webSocket: webSocket!.bufferedAmount };
      stream.uncork();
      await check(['webSocketBacklog'], () =>
        assert(held.webSocket >= 9, `ws's bufferedAmount counted ${held.webSocket} bytes of a 9-byte frame held back`),
      );
      await check(['writeCoalescing'], async () => {
        assert(held.stream >= 9, 'corking the TCP stream under a WebSocket held nothing back');
        await inbox.next((message) => message === '4corked');
      });
    });
    await check(['webSocketBacklog'], async () => {
      const closed = once(client, 'close') as Promise<[number]>;
      webSocket!.terminate();
      const [code] = await within(closed, 'the client saw no close after terminate()');
      assert(code === 1006, `the client saw close code ${code} after terminate(), not 1006 (connection cut)`);
    });

    // Socket.IO and the frames of large answers, on another connection.
    await check(['preEncodedAnswers'], async () => {
      const eventArgs = new Promise<unknown[]>((resolve) =>
        io.on('connection', (socket) => socket.use((args) => resolve(args))),
      );
      const { client, inbox, connection } = await connect();
      client.send('40');
      await inbox.next((message) => message.startsWith('40'));
      client.send(`4${PacketType.EVENT}7["probe"]`);
      const args = await within(eventArgs, 'the probe event never reached a packet middleware');
      assert(
        args[0] === 'probe' && answerIds.get(args) === 7,
        'no acknowledgement id noted for the arguments Socket.IO handed the packet middleware',
      );

      // The frame's text differs from the packet's, so what arrives tells which one Engine.IO sent.
      const frame = internals.frame(Buffer.from('4pre-encoded'));
      const written = new Promise<void>((resolve) =>
        connection.write('standard', { wsPreEncodedFrame: frame } as SendOptions, () => resolve()),
      );
      const arrived = await inbox.next(() => true);
      assert(arrived !== '4standard', "Engine.IO sent the packet's text, not its wsPreEncodedFrame");
      assert(
        arrived === '4pre-encoded',
        `the client received ${JSON.stringify(arrived.slice(0, 40))} from a frame of "4pre-encoded"`,
      );
      await within(written, "Engine.IO never reported the pre-encoded frame's write");
    });
  } catch (error) {
    const message = `the probe failed: ${error instanceof Error ? error.message : String(error)}`;
    for (const name of TUNINGS) if (!problems.has(name)) problems.set(name, message);
  } finally {
    for (const client of clients) client.terminate();
    // Also closes the HTTP server; a server that never listened has nothing to close.
    await io.close().catch(() => undefined);
  }
  return problems;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** `promise`, or a rejection with `message` after PROBE_WAIT_MS. */
function within<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(message)), PROBE_WAIT_MS)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The text messages a ws client receives, taken in order. */
class Inbox {
  private readonly received: string[] = [];
  private arrived: (() => void) | undefined;

  constructor(client: ws.WebSocket) {
    client.on('message', (data: Buffer, isBinary) => {
      this.received.push(isBinary ? `(binary) ${String(data)}` : String(data));
      this.arrived?.();
    });
  }

  /** The first text message `wanted` accepts, received or still to come; the ones before it are dropped. */
  next(wanted: (message: string) => boolean): Promise<string> {
    const found = async () => {
      for (;;) {
        const index = this.received.findIndex(wanted);
        if (index >= 0) return this.received.splice(0, index + 1)[index]!;
        await new Promise<void>((resolve) => (this.arrived = resolve));
      }
    };
    return within(found(), 'the probe client did not receive what it waited for');
  }
}
