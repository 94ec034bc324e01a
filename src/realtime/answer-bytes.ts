import type { Socket as EngineSocket } from 'engine.io';

/** Characters (or bytes) queued since `measure` began; undefined when nothing is measured. */
let measured: number | undefined;

// One listener shared by every connection: Engine.IO queues a packet synchronously within the
// write that makes it, so a write's packets are those created while `measure` runs it.
function onPacketCreate(this: EngineSocket, packet: { data?: unknown }): void {
  if (measured === undefined) return;
  const { data } = packet;
  if (typeof data === 'string') measured += data.length;
  else if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) measured += data.byteLength;
}

/** Lets `measure` see what is written to `connection`. */
export function watchAnswerBytes(connection: EngineSocket): void {
  connection.on('packetCreate', onPacketCreate);
}

/**
 * Runs `write`, which sends `answer`, and returns the answer's weight as sent, in characters of
 * its text (one per byte of ASCII JSON): the size of the packets `write` queued on watched
 * connections, without encoding it again. That `packetCreate` comes within the write is Engine.IO's
 * behaviour, not its promise: when the start-up probe (engine-internals.ts) found otherwise,
 * `fromPackets` is false and the weight is the length of the answer's JSON, stringified again.
 */
export function measure(write: () => void, answer: unknown, fromPackets: boolean): number {
  if (!fromPackets) {
    write();
    return JSON.stringify(answer)?.length ?? 0;
  }
  measured = 0;
  try {
    write();
    return measured;
  } finally {
    measured = undefined;
  }
}
