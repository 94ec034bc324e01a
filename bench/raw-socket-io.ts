import WebSocket from 'ws';

/**
 * Socket.IO clients speaking the wire protocol (Engine.IO 4, Socket.IO 5) themselves, where
 * socket.io-client cannot do what a scenario needs:
 * - the fairness scenario's attacker tells an answer's outcome from its first bytes, without
 *   parsing it (its process takes in history pages of 1.6 MB as fast as the server makes them),
 *   and stops reading its TCP connection while it keeps sending requests (a stalled reader), or,
 *   over long-polling, POSTs requests and never GETs what is answered;
 * - the big room's members (room-members.ts): thousands of connections in one process that
 *   receive tens of thousands of events a second, each only matched and timed, never parsed.
 * Only what the scenarios use is spoken: the default namespace, JSON payloads, acknowledgements.
 */

/** An answer's outcome: success, a RATE_LIMITED refusal, or any other error envelope. */
export type Outcome = 'served' | 'refused' | 'failed';

export interface Answer {
  outcome: Outcome;
  /** The error envelope's code, unless served. */
  code?: string;
}

/** An event packet asking for an acknowledgement: `42<id>["event",payload]`. */
export function eventPacket(id: number, event: string, payload?: unknown): string {
  return `42${id}${JSON.stringify(payload === undefined ? [event] : [event, payload])}`;
}

/** `43<id>[answer]` → the id and the answer; anything else → undefined. */
export function readAnswer(frame: Buffer): (Answer & { id: number }) | undefined {
  // The head is enough: `43`, the id, `[{"success":true` — the answer's first key (event-gate.ts).
  const head = frame.toString('latin1', 0, 48);
  const match = /^43(\d+)\[/.exec(head);
  if (!match) return undefined;
  const id = Number(match[1]);
  if (head.startsWith('{"success":true', match[0].length)) return { id, outcome: 'served' };
  // A refusal is a small envelope: { success: false, error, code, … }.
  const [envelope] = JSON.parse(frame.toString('utf8', match[0].length - 1)) as [{ code?: string }];
  const code = String(envelope?.code);
  return { id, outcome: code === 'RATE_LIMITED' ? 'refused' : 'failed', code };
}

/** Why a connection attempt failed: the server's connect_error, or no answer in time. */
export class ConnectRefused extends Error {}

/** One Socket.IO connection over a WebSocket. */
export class RawWebSocket {
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: Answer, frame: Buffer) => void>();
  private closedByUs = false;
  private eventListener: ((frame: Buffer) => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      if (data.length === 1 && data[0] === 0x32) return ws.send('3'); // ping → pong
      // An event the server sent: `42["event",…]` (0x34 0x32).
      if (data[0] === 0x34 && data[1] === 0x32 && data[2] === 0x5b) return this.eventListener?.(data);
      const answer = readAnswer(data);
      if (!answer) return;
      const resolve = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      resolve?.(answer, data);
    });
    ws.on('error', () => {}); // 'close' follows; the owner learns of it there
  }

  /** Opens the WebSocket and the default namespace with `token`; rejects with ConnectRefused. */
  static connect(url: string, token: string, timeoutMs: number): Promise<RawWebSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
    });
    return new Promise((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        ws.terminate();
        reject(new ConnectRefused(reason));
      };
      const timer = setTimeout(() => fail('no answer'), timeoutMs);
      ws.on('error', (error) => fail(error.message));
      ws.on('close', () => fail('closed'));
      ws.on('message', (data: Buffer) => {
        const frame = data.toString();
        if (frame.startsWith('0')) return ws.send(`40${JSON.stringify({ token })}`);
        if (frame.startsWith('44')) return fail(frame.slice(2));
        if (!frame.startsWith('40')) return;
        clearTimeout(timer);
        ws.removeAllListeners();
        resolve(new RawWebSocket(ws));
      });
    });
  }

  /** Sends an event; `onAnswer` gets its acknowledgement (not called if it never comes). */
  emit(event: string, payload?: unknown, onAnswer?: (answer: Answer, frame: Buffer) => void): void {
    const id = this.nextId++;
    if (onAnswer) this.waiting.set(id, onAnswer);
    this.ws.send(eventPacket(id, event, payload));
  }

  /** Calls `listener` with each event packet the server sends (`42["event",…]`), unparsed. */
  onEvent(listener: (frame: Buffer) => void): void {
    this.eventListener = listener;
  }

  /** Events sent and not answered yet. */
  get unanswered(): number {
    return this.waiting.size;
  }

  /**
   * Stops reading: nothing more is taken from the TCP connection, so the server's answers pile up
   * in the kernel's buffers and then in the server. Sending goes on.
   */
  stall(): void {
    this.ws.pause();
  }

  /** Calls `listener` once the connection is gone, unless this side closed it. */
  onClose(listener: () => void): void {
    this.ws.once('close', () => {
      if (!this.closedByUs) listener();
    });
  }

  close(): void {
    this.closedByUs = true;
    this.ws.terminate();
  }
}

/** Engine.IO's separator of packets in one long-polling body. */
const RECORD_SEPARATOR = '\x1e';

/**
 * One Socket.IO connection over HTTP long-polling that, once connected, only POSTs: whatever the
 * server answers stays queued in the server.
 */
export class RawPolling {
  private nextId = 1;

  private constructor(private readonly endpoint: string) {}

  /** Engine.IO handshake, namespace connect with `token`, and the one GET that reads its answer. */
  static async connect(url: string, token: string, timeoutMs: number): Promise<RawPolling> {
    const base = `${url}/socket.io/?EIO=4&transport=polling`;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const open = await (await fetch(base, { signal })).text();
      if (!open.startsWith('0')) throw new ConnectRefused(`handshake: ${open.slice(0, 100)}`);
      const endpoint = `${base}&sid=${(JSON.parse(open.slice(1)) as { sid: string }).sid}`;
      const posted = await fetch(endpoint, { method: 'POST', body: `40${JSON.stringify({ token })}`, signal });
      if (!posted.ok) throw new ConnectRefused(`connect: HTTP ${posted.status}`);
      await posted.text();
      const connected = await (await fetch(endpoint, { signal })).text();
      if (!connected.split(RECORD_SEPARATOR).some((packet) => packet.startsWith('40'))) {
        throw new ConnectRefused(`connect: ${connected.slice(0, 100)}`);
      }
      return new RawPolling(endpoint);
    } catch (error) {
      throw error instanceof ConnectRefused ? error : new ConnectRefused(String(error));
    }
  }

  /**
   * POSTs as many copies of the event as fit in `maxBytes` in one body.
   * @returns how many were sent, or undefined when the server no longer knows the session.
   */
  async post(event: string, payload: unknown, maxBytes: number, timeoutMs: number): Promise<number | undefined> {
    const packets: string[] = [];
    let bytes = 0;
    for (;;) {
      const packet = eventPacket(this.nextId, event, payload);
      if (bytes + packet.length + 1 > maxBytes) break;
      packets.push(packet);
      bytes += packet.length + 1;
      this.nextId++;
    }
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        body: packets.join(RECORD_SEPARATOR),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.text();
      return response.ok ? packets.length : undefined;
    } catch {
      return undefined;
    }
  }
}
