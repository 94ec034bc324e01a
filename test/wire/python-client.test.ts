import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ISO_MS, sendOk } from '../helpers/socket-fixtures.js';
import {
  ask,
  closeSockets,
  connect,
  createChat,
  registerUser,
  startServer,
  type TestServer,
} from '../helpers/server.js';

/**
 * The wire format as a client in another language sees it: a Python client written literally from
 * the customer's seed (shared/seed/websocket-api.ru.md) with Debian's python3-socketio, whose
 * `new_message` handler takes exactly ONE argument — `def on_new_message(message)`, the seed's
 * `(message) => …`. Every server → client event must therefore carry exactly one argument (contract
 * §3); an extra one (such as the offset Socket.IO's connection-state recovery appends) makes
 * python-socketio raise TypeError in the handler, log it and drop the event.
 */

const SCRIPT = fileURLToPath(new URL('./seed_client.py', import.meta.url));
const INSTALL = 'apt-get update && apt-get install -y python3-socketio python3-websocket';

/**
 * Debian's packages install into Debian's own interpreter (/usr/bin/python3), which need not be the
 * `python3` first on PATH (pyenv, a venv…): take the first candidate that imports both modules.
 */
function findPython(): { python: string | undefined; tried: string[] } {
  const candidates = [process.env.PARLEY_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const candidate of [...new Set(candidates)]) {
    const probe = spawnSync(candidate, ['-c', 'import socketio, websocket'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0) return { python: candidate, tried };
    tried.push(
      `${candidate}: ${probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`)}`,
    );
  }
  return { python: undefined, tried };
}

const { python: PYTHON, tried: TRIED } = findPython();
const MISSING =
  `no Python 3 with the socketio and websocket modules (tried ${TRIED.join('; ')}). ` +
  `Install Debian's packages: ${INSTALL}`;

if (!PYTHON && !process.env.CI) {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! PYTHON WIRE TEST SKIPPED: ${MISSING}\n!! (CI installs them in .ci/run)\n${line}\n`);
}

interface Received {
  event: string;
  data: any;
}

interface PythonReport {
  joined: unknown;
  received: Received[];
  errors: string[];
  timedOut: boolean;
  fatal?: string;
}

interface RunningClient {
  child: ChildProcess;
  /** Resolves when the script printed READY (connected and joined); rejects if it ends first. */
  ready: Promise<void>;
  /** Resolves with the script's JSON line, its exit code and its stderr once it has ended. */
  done: Promise<{ report: PythonReport | undefined; code: number | null; stdout: string; stderr: string }>;
}

function runSeedClient(python: string, args: string[]): RunningClient {
  const child = spawn(python, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  let onReady: () => void = () => {};
  let onEarlyEnd: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onEarlyEnd = reject;
  });
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    if (/^READY$/m.test(stdout)) onReady();
  });
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ report: PythonReport | undefined; code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.on('close', (code) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        let report: PythonReport | undefined;
        try {
          report = JSON.parse(last) as PythonReport;
        } catch {
          report = undefined;
        }
        onEarlyEnd(new Error(`seed_client.py ended (code ${code}) before READY:\n${stdout}\n${stderr}`));
        resolve({ report, code, stdout, stderr });
      });
    },
  );
  return { child, ready, done };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The seed's message fields, in the seed's order (contract §3: they come first, then the rest). */
const SEED_FIELDS = ['id', 'text', 'sender', 'chatId', 'createdAt', 'user'];

describe('a Python client written from the seed (python-socketio)', () => {
  if (!PYTHON) {
    if (process.env.CI) {
      it('has python3-socketio and python3-websocket installed (CI must not skip the Python wire test)', () => {
        throw new Error(`CI is set but there is ${MISSING}. .ci/run must install them.`);
      });
    } else {
      it.skip(`needs ${INSTALL}`, () => {});
    }
    return;
  }
  const python = PYTHON;

  let server: TestServer;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(() => {
    closeSockets();
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  afterAll(async () => {
    await server?.close();
  });

  it(
    'receives new_message, message_updated and message_deleted with one argument each',
    { timeout: 15_000 },
    async () => {
      const [reader, writer] = await Promise.all([registerUser(server, 'pyreader'), registerUser(server, 'tswriter')]);
      const chatId = await createChat(server, writer, [reader]);

      const client = runSeedClient(python, [
        server.url,
        reader.token,
        chatId,
        '3',
        '--timeout',
        '5',
        '--expect',
        'message_updated=1',
        '--expect',
        'message_deleted=1',
      ]);
      children.push(client.child);
      await withTimeout(client.ready, 8_000, 'seed_client.py printed no READY');

      const writerSocket = await connect(server, writer.token);
      const texts = ['Текст сообщения', 'second from TypeScript', 'third: ёжик 🦔'];
      const sent = [];
      for (const text of texts) sent.push(await sendOk(writerSocket, chatId, text));
      const edited = await ask(writerSocket, 'edit_message', { messageId: sent[1]!.id, text: 'second, edited' });
      expect(edited, `edit_message answered ${JSON.stringify(edited)}`).toMatchObject({
        success: true,
        message: { id: sent[1]!.id, text: 'second, edited' },
      });
      const deleted = await ask(writerSocket, 'delete_message', { messageId: sent[2]!.id });
      expect(deleted, `delete_message answered ${JSON.stringify(deleted)}`).toMatchObject({
        success: true,
        message: { id: sent[2]!.id, text: '' },
      });

      const { report, code, stdout, stderr } = await withTimeout(client.done, 10_000, 'seed_client.py did not end');
      const context = `exit ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`;
      expect(report, `seed_client.py printed no JSON line\n${context}`).toBeDefined();
      expect(report!.fatal, context).toBeUndefined();
      expect(code, context).toBe(0);
      expect(report!.joined).toMatchObject({ success: true, messages: [] });

      // A one-parameter handler raising TypeError is logged by python-socketio: there must be none.
      expect(
        report!.errors,
        `the Python client's handlers failed (an event with more than one argument?)\n${context}`,
      ).toEqual([]);
      expect(report!.timedOut, `the Python client was still waiting for events after 5 s\n${context}`).toBe(false);

      const newMessages = report!.received.filter((r) => r.event === 'new_message').map((r) => r.data);
      expect(newMessages.map((m) => m.text)).toEqual(texts);
      for (const [i, message] of newMessages.entries()) {
        expect(Object.keys(message).slice(0, SEED_FIELDS.length)).toEqual(SEED_FIELDS);
        expect(message).toMatchObject({
          id: sent[i]!.id,
          text: texts[i],
          sender: writer.user.id,
          chatId,
          createdAt: expect.stringMatching(ISO_MS),
          user: { id: writer.user.id, email: writer.user.email, username: writer.user.username },
        });
        expect(message.user).toStrictEqual(writer.user);
        expect(message).toEqual(sent[i]);
      }

      const updated = report!.received.filter((r) => r.event === 'message_updated').map((r) => r.data);
      expect(updated).toEqual([expect.objectContaining({ id: sent[1]!.id, chatId, text: 'second, edited' })]);
      const deletedEvents = report!.received.filter((r) => r.event === 'message_deleted').map((r) => r.data);
      expect(deletedEvents).toEqual([expect.objectContaining({ id: sent[2]!.id, chatId, text: '' })]);

      // In the order the server made them.
      expect(report!.received.map((r) => r.event)).toEqual([
        'new_message',
        'new_message',
        'new_message',
        'message_updated',
        'message_deleted',
      ]);
    },
  );
});
