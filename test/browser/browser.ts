import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
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

/**
 * Bundles web/ the way `npm run build` does, so that `npm test` needs no build beforehand. The
 * bundle is written beside web/dist and swapped in with two renames: a server that other test files
 * start meanwhile sees either the old bundle or none, never a half-written one.
 */
export async function buildWebClient(): Promise<void> {
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
