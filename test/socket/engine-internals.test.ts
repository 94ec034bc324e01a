import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Decoder } from 'socket.io-parser';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  INSTALLED_INTERNALS,
  TUNINGS,
  tuneEngine,
  type EngineInternals,
  type TuningName,
} from '../../src/realtime/engine-internals.js';

/**
 * src/realtime/engine-internals.ts: the undeclared internals of Socket.IO, Engine.IO,
 * socket.io-parser and ws that Parley's tunings rely on are probed at start-up on a real
 * connection. With the installed versions every tuning is on — the test an upgrade that breaks
 * one fails. A broken internal turns off only the tunings relying on it, with one warning.
 */
describe('engine internals', () => {
  afterEach(() => {
    vi.doUnmock('ws');
    vi.resetModules();
  });

  /** The tuning probed with `internals`, and every warning it logged. */
  async function probed(internals: EngineInternals = INSTALLED_INTERNALS) {
    const warnings: Array<{ message: string; off: Partial<Record<TuningName, string>> }> = [];
    const tuning = await tuneEngine((message, { off }) => warnings.push({ message, off }), internals);
    return { tuning, warnings };
  }

  it('turns every tuning on with the installed Socket.IO, Engine.IO, socket.io-parser and ws, without a warning', async () => {
    const { tuning, warnings } = await probed();
    expect(warnings).toEqual([]);
    expect(tuning.active).toEqual(Object.fromEntries(TUNINGS.map((name) => [name, true])));
    expect(tuning.parser?.Decoder).toBe(INSTALLED_INTERNALS.Decoder);
  });

  const broken: Array<{ name: string; internals: Partial<EngineInternals>; off: TuningName[]; why: RegExp }> = [
    {
      name: 'ws without Sender.frame',
      internals: {
        frame: () => {
          throw new Error('ws exports no Sender.frame');
        },
      },
      off: ['preEncodedAnswers'],
      why: /Sender\.frame/,
    },
    {
      name: 'a frame builder that makes binary frames',
      internals: { frame: (payload) => [Buffer.from([0x82, payload.length]), payload] },
      off: ['preEncodedAnswers'],
      why: /\(binary\) 4pre-encoded/,
    },
    {
      name: "socket.io-parser's decoder, noting no answer ids",
      internals: { Decoder },
      off: ['preEncodedAnswers'],
      why: /no acknowledgement id/,
    },
    {
      name: 'an Engine.IO transport that keeps its ws WebSocket elsewhere',
      internals: { webSocketOf: () => undefined },
      off: ['writeCoalescing', 'webSocketBacklog'],
      why: /no open ws WebSocket/,
    },
    {
      name: 'a ws WebSocket that keeps its TCP stream elsewhere',
      internals: { tcpStreamOf: () => undefined },
      off: ['writeCoalescing'],
      why: /no TCP stream/,
    },
  ];

  it.each(broken)('with $name: turns off $off only, with one warning saying why', async ({ internals, off, why }) => {
    const { tuning, warnings } = await probed({ ...INSTALLED_INTERNALS, ...internals });
    expect(warnings).toHaveLength(1);
    expect(Object.keys(warnings[0]!.off).sort()).toEqual([...off].sort());
    for (const name of off) expect(warnings[0]!.off[name]).toMatch(why);
    expect(warnings[0]!.message).toContain('engine-internals.ts');
    for (const name of TUNINGS) expect(tuning.active[name]).toBe(!off.includes(name));
    if (off.includes('preEncodedAnswers')) expect(tuning.parser).toBeUndefined();
  });

  it('loads, and falls back, when ws no longer exports Sender', async () => {
    vi.doMock('ws', async (importOriginal) => ({
      ...(await importOriginal<typeof import('ws')>()),
      Sender: undefined,
    }));
    const seam = await import('../../src/realtime/engine-internals.js');
    const warnings: Array<Partial<Record<TuningName, string>>> = [];
    const tuning = await seam.tuneEngine((_, { off }) => warnings.push(off));
    expect(warnings).toEqual([{ preEncodedAnswers: 'ws exports no Sender.frame' }]);
    expect(tuning.active).toMatchObject({ preEncodedAnswers: false, writeCoalescing: true, webSocketBacklog: true });
  });

  it('is the only module of src/ that reaches into another library’s undeclared members', async () => {
    const root = join(import.meta.dirname, '../../src');
    const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.ts'));
    // Underscored members, the undeclared packet option, ws's Sender, parser subclasses,
    // Engine.IO's transport internals, and casts past a library's types.
    const internal =
      /\.\s*_[A-Za-z]\w*|wsPreEncodedFrame|\bSender\b|extends\s+(Decoder|Encoder)\b|transport\)?\.socket\b|as unknown as/;
    const offenders: string[] = [];
    for (const file of files) {
      if (file === join('realtime', 'engine-internals.ts')) continue;
      const lines = (await readFile(join(root, file), 'utf8')).split('\n');
      lines.forEach((line, index) => internal.test(line) && offenders.push(`src/${file}:${index + 1}: ${line.trim()}`));
    }
    expect(offenders).toEqual([]);
    expect(files).toContain(join('realtime', 'engine-internals.ts'));
  });
});
