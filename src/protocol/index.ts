/**
 * Parley's typed SDK: everything a TypeScript client needs to speak the API, in one import.
 *
 * - `ClientToServerEvents` / `ServerToClientEvents` — socket.io's typed event maps:
 *   `const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { auth: { token } })`.
 * - `EventPayload<E>`, `EventAnswer<E>`, `EventSuccess<E>` — one event's payload and answer types.
 * - Wire types (`Message`, `ChatSummary`, `PublicUser`, `Answer`, …) and the zod schemas the server
 *   validates with (`sendMessageSchema`, `registerSchema`, …) with their inferred payload types.
 *
 * The server and the web client (web/) import these same definitions; there is no second copy.
 * Import types with `import type` to keep zod out of a browser bundle.
 */
export * from './event-types.js';
export * from './events.js';
export * from './group-rights.js';
export * from './schemas.js';
export * from './types.js';
