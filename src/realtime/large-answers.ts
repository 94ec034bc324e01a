import { PacketType } from 'socket.io-parser';
import { writeJsonArray, writesJson, type WritesJson } from '../protocol/chat-summary-text.js';
import type { EngineTuning } from './engine-internals.js';
import { PayloadBuffers } from './payload-buffers.js';
import type { ParleySocket } from './socket-types.js';

/**
 * Large answers (a chat list of a user in hundreds of chats: about 1 KB per chat) leave as a
 * WebSocket frame built here in pieces, instead of through Socket.IO's encoder.
 *
 * Why: the encoder's `JSON.stringify` of a whole answer yields a string of many parts, which the
 * WebSocket library flattens to measure it and Node copies again to write it. A string over 128 KiB
 * lives in V8's large-object space, a fresh mapping each time, every page of it a page fault:
 * flattening and copying a 0.8 MB chat list cost more than encoding it (docs/performance.md).
 * Here the answer's large array is stringified a few dozen elements at a time (each piece a small
 * string), the pieces are written once into one buffer (reused, see payload-buffers.ts), and
 * Engine.IO sends that buffer as a pre-encoded frame, the path Socket.IO's own broadcasts take.
 * A chat list's chats come written already (ChatSummaryText): their texts are joined as they are.
 * The text is the same, byte for byte, as the encoder's (see the tests).
 *
 * An answer goes through the event's acknowledgement, whose packet id Socket.IO keeps in a
 * closure; the engine tuning's decoder notes it beside the event's arguments so that the event
 * gate can address the answer itself. Both rely on undeclared internals, checked at start-up by
 * engine-internals.ts; without them every answer goes through Socket.IO's acknowledgement.
 */

/** Arrays longer than this make an answer large; history pages (≤ 100 messages) never are. */
export const LARGE_ARRAY_LENGTH = 128;
/** A piece of a large array is kept to about this many characters, far below 128 KiB. */
const PIECE_CHARS = 32 * 1024;
/** The first piece's size in elements; later pieces are sized from the characters per element seen. */
const FIRST_PIECE_ELEMENTS = 16;

/**
 * How an answer's value is written here: an array of values that write their own JSON (a chat
 * list, of any length: Socket.IO's encoder would have each of them parsed to be stringified,
 * toJSON) as their texts joined, a large array in pieces, anything else not here (undefined).
 */
function writtenHere(value: unknown): 'texts' | 'pieces' | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (value.every(writesJson)) return 'texts';
  return value.length > LARGE_ARRAY_LENGTH ? 'pieces' : undefined;
}

const payloadBuffers = new PayloadBuffers();

/**
 * Sends `answer` as the acknowledgement of the event whose arguments are `eventArgs`, if it is
 * large, the socket is on WebSocket in the main namespace (Parley's only one) and the engine
 * tuning allows it; false when it is left to Socket.IO's acknowledgement. Answers are plain JSON
 * (no binary attachments), as every Parley answer is.
 */
export function sendLargeAnswer(
  socket: ParleySocket,
  eventArgs: object,
  answer: object,
  tuning: EngineTuning,
): boolean {
  const id = tuning.answerIdOf(eventArgs);
  if (id === undefined || socket.nsp.name !== '/' || !tuning.canWriteFrame(socket.conn)) return false;
  let buffer: Buffer | undefined;
  const encoded = encodeLargeAnswer(id, answer, (bytes) => (buffer = payloadBuffers.take(bytes)));
  if (!encoded) return false;
  // The text is what Engine.IO would send on any other transport (it is kept until the packet is
  // flushed); the buffer is given back once the frame's write has completed.
  tuning.writeFrame(socket.conn, encoded.text, encoded.payload, () => payloadBuffers.giveBack(buffer!));
  return true;
}

/**
 * The acknowledgement packet of `answer` for event id `id`: `text` as socket.io-parser encodes it
 * (a string of parts, never flattened on the WebSocket path) and `payload`, the Engine.IO message
 * ("4" + text) in UTF-8, written into the start of a buffer from `allocate`. Undefined when the
 * answer has no array written here (writtenHere).
 */
export function encodeLargeAnswer(
  id: number,
  answer: object,
  allocate: (bytes: number) => Buffer = (bytes) => Buffer.allocUnsafeSlow(bytes),
): { text: string; payload: Buffer } | undefined {
  const entries = Object.entries(answer).map(([key, value]: [string, unknown]) => ({
    key,
    value,
    written: writtenHere(value),
  }));
  if (!entries.some(({ written }) => written)) return undefined;
  // The packet: type ACK, the id, then the arguments array [answer] (namespace "/" is implied).
  const pieces = [`${PacketType.ACK}${id}[{`];
  const pushKey = (key: string) => pieces.push(`${pieces.length > 1 ? ',' : ''}${JSON.stringify(key)}:`);
  for (const { key, value, written } of entries) {
    if (written === 'texts') {
      pushKey(key);
      // writtenHere checked each element.
      pieces.push(...writeJsonArray(value as WritesJson[], PIECE_CHARS));
      continue;
    }
    if (written === 'pieces') {
      pushKey(key);
      pushArrayPieces(pieces, value as unknown[]);
      continue;
    }
    const json = JSON.stringify(value);
    // JSON.stringify leaves out properties it cannot represent (undefined, functions).
    if (json === undefined) continue;
    pushKey(key);
    pieces.push(json);
  }
  pieces.push('}]');

  let text = '';
  let bytes = 1;
  for (const piece of pieces) {
    text += piece;
    bytes += Buffer.byteLength(piece);
  }
  const payload = allocate(bytes).subarray(0, bytes);
  let offset = payload.write('4');
  for (const piece of pieces) offset += payload.write(piece, offset);
  // The buffer is not zeroed: it must hold exactly what was written, never old memory.
  if (offset !== bytes) throw new Error(`large answer: wrote ${offset} of ${bytes} bytes`);
  return { text, payload };
}

/** `array` as JSON, in pieces of about PIECE_CHARS characters. */
function pushArrayPieces(pieces: string[], array: unknown[]): void {
  pieces.push('[');
  let size = FIRST_PIECE_ELEMENTS;
  for (let start = 0; start < array.length;) {
    const end = Math.min(start + size, array.length);
    const json = JSON.stringify(array.slice(start, end));
    if (start > 0) pieces.push(',');
    pieces.push(json.slice(1, -1));
    size = Math.max(1, Math.floor(((end - start) * PIECE_CHARS) / json.length));
    start = end;
  }
  pieces.push(']');
}
