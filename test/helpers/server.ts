import { randomUUID } from 'node:crypto';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildApp, type App, type BuildOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/protocol/events.js';
import type { PublicUser } from '../../src/protocol/types.js';
import { pgliteTemplate } from './pglite-template.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!!';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  url: string;
  port: number;
  app: App;
  close(): Promise<void>;
}

/**
 * Limits far above anything a suite sends, so that suites which send bursts on purpose (300
 * concurrent sends, 55-message histories, dozens of registrations from one address) test what
 * they are about. The limit suites (test/limits) pass the limits they test; the production
 * defaults are tested by test/config.test.ts.
 */
export const GENEROUS_LIMITS: Readonly<Record<string, string>> = {
  RATE_LIMIT_MESSAGES_PER_SECOND: '100000',
  RATE_LIMIT_MESSAGE_BURST: '100000',
  RATE_LIMIT_EVENTS_PER_SECOND: '100000',
  RATE_LIMIT_EVENT_BURST: '100000',
  RATE_LIMIT_READS_PER_SECOND: '100000',
  RATE_LIMIT_READ_BURST: '100000',
  RATE_LIMIT_READ_BYTES_PER_SECOND: String(2 ** 40),
  MAX_CONCURRENT_REQUESTS_PER_USER: '100000',
  MAX_CONCURRENT_READS_PER_USER: '100000',
  MAX_WAITING_REQUESTS_PER_USER: '100000',
  RATE_LIMIT_AUTH_PER_IP: '100000',
  RATE_LIMIT_LOGIN_FAILURES: '100000',
  RATE_LIMIT_CHATS_PER_MINUTE: '100000',
  RATE_LIMIT_USER_SEARCHES_PER_MINUTE: '100000',
  RATE_LIMIT_UPLOADS_PER_MINUTE: '100000',
  RATE_LIMIT_UPLOAD_BYTES_PER_HOUR: String(2 ** 40),
  FILE_MAX_UNATTACHED: '10000',
};

/**
 * scrypt's log2 N for passwords in servers started by `startServer`: N = 2^10 (1 MiB, a few ms), so
 * that suites registering hundreds of users stay quick. Only a Config built in code can go below
 * OWASP's 2^17, never the environment; a test that passes PASSWORD_SCRYPT_LOG2_N gets that cost
 * (test/auth/password-upgrade.test.ts runs the production default).
 */
export const TEST_SCRYPT_LOG2_N = 10;

/**
 * Starts the real server on a free port. Defaults: in-memory PGlite (from pgliteTemplate), silent
 * logs, a fixed secret, GENEROUS_LIMITS, TEST_SCRYPT_LOG2_N. `env` overrides any variable (e.g. DATABASE_URL for
 * PostgreSQL, DATA_DIR for a restart test, a RATE_LIMIT_* under test); `options` go to buildApp.
 */
export async function startServer(
  env: Record<string, string | undefined> = {},
  options: BuildOptions = {},
): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: 'memory://',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    ...GENEROUS_LIMITS,
    ...env,
  });
  if (env.PASSWORD_SCRYPT_LOG2_N === undefined) config.passwords.log2N = TEST_SCRYPT_LOG2_N;
  const template = config.database.kind === 'memory' ? await pgliteTemplate() : undefined;
  const app = await buildApp(config, { pgliteTemplate: template, ...options });
  const port = await app.listen();
  return { url: `http://127.0.0.1:${port}`, port, app, close: () => app.close() };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** One HTTP call; `body` objects are sent as JSON, strings as they are. */
export async function api<T = any>(
  server: { url: string },
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // non-JSON bodies stay text
  }
  return { status: response.status, body: parsed as T };
}

export interface TestUser {
  user: PublicUser;
  token: string;
  password: string;
}

/** Registers a user with unique random credentials. */
export async function registerUser(server: { url: string }, prefix = 'user'): Promise<TestUser> {
  const tag = randomUUID().slice(0, 8);
  const password = `pw-${randomUUID()}`;
  const { status, body } = await api(server, 'POST', '/auth/register', {
    body: { email: `${prefix}-${tag}@example.com`, username: `${prefix}_${tag}`, password },
  });
  if (status !== 201) throw new Error(`register failed: ${status} ${JSON.stringify(body)}`);
  return { user: body.user, token: body.accessToken, password };
}

/** Creates a chat through HTTP as `owner` with `others`; returns the chat id. */
export async function createChat(
  server: { url: string },
  owner: TestUser,
  others: TestUser[],
  name?: string,
): Promise<string> {
  const { status, body } = await api(server, 'POST', '/chats', {
    token: owner.token,
    body: { userIds: others.map((o) => o.user.id), ...(name ? { name } : {}) },
  });
  if (status !== 201 && status !== 200) throw new Error(`create chat failed: ${status} ${JSON.stringify(body)}`);
  return body.chat.id;
}

const openSockets = new Set<ClientSocket>();

/** Connects a Socket.IO client (websocket only) and waits for `connect`; rejects on connect_error. */
export function connect(
  server: { url: string },
  token: string | undefined,
  options: { via?: 'auth' | 'header'; reconnection?: boolean } = {},
): Promise<ClientSocket> {
  const socket: ClientSocket = connectClient(server.url, {
    transports: ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
    ...(options.via === 'header'
      ? { extraHeaders: token ? { Authorization: `Bearer ${token}` } : {} }
      : { auth: token === undefined ? {} : { token } }),
  });
  openSockets.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Closes every socket opened by `connect` (call in afterAll/afterEach). */
export function closeSockets(): void {
  for (const socket of openSockets) socket.close();
  openSockets.clear();
}

/** Emits with an acknowledgement and resolves with the answer. */
export function ask<T = any>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<T> {
  return (socket as unknown as Socket).timeout(5_000).emitWithAck(event, ...args) as Promise<T>;
}

/** Resolves with the next `event` the socket receives, or rejects after `ms`. */
export function nextEvent<T = any>(socket: ClientSocket, event: string, ms = 3_000): Promise<T> {
  const raw = socket as unknown as Socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      raw.off(event, listener);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const listener = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    raw.once(event, listener);
  });
}

/** Collects every `event` the socket receives from now on. */
export function collect<T = any>(socket: ClientSocket, event: string): T[] {
  const received: T[] = [];
  (socket as unknown as Socket).on(event, (payload: T) => received.push(payload));
  return received;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One real server for the enclosing `describe`: started before its tests, every socket closed
 * after each test, the server closed after the last. The returned object reads through to it.
 */
export function useServer(
  env: Record<string, string | undefined> = {},
  options: () => Promise<BuildOptions> | BuildOptions = () => ({}),
): TestServer {
  let started: TestServer | undefined;
  const current = (): TestServer => {
    if (!started) throw new Error('useServer: the server is not started yet (use it inside a test)');
    return started;
  };
  beforeAll(async () => {
    started = await startServer(env, await options());
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    closeSockets();
    await started?.close();
  });
  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get app() {
      return current().app;
    },
    close: () => current().close(),
  };
}
