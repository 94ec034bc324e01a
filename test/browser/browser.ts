import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { WEB_CLIENT_DIR } from '../../src/http/web-client.js';

/** Debian's package (`apt-get install chromium`); nothing here ever downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Browser tests run wherever Chromium is installed, and always in CI (`CI` set), where a missing
 * Chromium is a failure, not a skip. Only a developer machine without it skips them, loudly.
 */
export const SKIP_BROWSER_TESTS = !existsSync(CHROMIUM) && !process.env.CI;

if (SKIP_BROWSER_TESTS) {
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!! BROWSER TESTS SKIPPED: ${CHROMIUM} not found.\n` +
      `!! Install it with: apt-get update && apt-get install -y chromium   (CI installs it in .ci/run)\n${line}\n`,
  );
}

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`CI is set but ${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Which test run (the Vitest process, parent of its workers) the bundle in web/dist was built for. */
const BUILT_FOR = `${ROOT}web/dist-built-for`;
const BUILD_LOCK = `${ROOT}web/dist-build-lock`;
/** A lock older than this was left by a run that died mid-build. */
const STALE_LOCK_MS = 120_000;
let built: Promise<void> | undefined;

/**
 * Bundles web/ the way `npm run build` does, once per test run, so that `npm test` needs no build
 * beforehand. Once: the browser test files run in parallel workers, and a second build swapping
 * web/dist under a page that is loading made that page fail. The first worker to take the lock
 * builds; the others wait for it and use its bundle.
 */
export function buildWebClient(): Promise<void> {
  built ??= buildOncePerRun();
  return built;
}

async function buildOncePerRun(): Promise<void> {
  const run = String(process.ppid);
  const builtFor = () => readFile(BUILT_FOR, 'utf8').catch(() => '');
  while ((await builtFor()) !== run) {
    try {
      await mkdir(BUILD_LOCK);
    } catch {
      const lock = await stat(BUILD_LOCK).catch(() => undefined);
      if (lock && Date.now() - lock.mtimeMs > STALE_LOCK_MS) await rm(BUILD_LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      if ((await builtFor()) !== run) {
        await bundle();
        await writeFile(BUILT_FOR, run);
      }
    } finally {
      await rm(BUILD_LOCK, { recursive: true, force: true });
    }
  }
}

/**
 * The bundle is written beside web/dist and swapped in with two renames: a server started
 * meanwhile (`npm start` in another terminal) sees either the old bundle or none, never a
 * half-written one.
 */
async function bundle(): Promise<void> {
  const next = `${ROOT}web/dist-build-${process.pid}`;
  const old = `${ROOT}web/dist-old-${process.pid}`;
  await promisify(execFile)(
    process.execPath,
    [
      `${ROOT}node_modules/vite/bin/vite.js`,
      'build',
      '--config',
      `${ROOT}web/vite.config.ts`,
      '--outDir',
      next,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT },
  );
  if (existsSync(WEB_CLIENT_DIR)) await rename(WEB_CLIENT_DIR, old);
  await rename(next, WEB_CLIENT_DIR);
  await rm(old, { recursive: true, force: true });
}
