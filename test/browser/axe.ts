import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** axe-core's browser bundle, injected into the page under test. */
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}
declare const axe: { run(): Promise<{ violations: AxeViolation[] }> };

/**
 * The axe-core audit of the page as it is now: every violation of impact serious or critical, one
 * line each (`where`: rule, impact, what it asks, the elements). Evaluated through the DevTools
 * protocol rather than a <script>, which the page's Content-Security-Policy refuses.
 */
export async function seriousViolations(page: Page, where: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(await readAxe());
  const violations = await page.evaluate(async () => (await axe.run()).violations);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

let axeSource: Promise<string> | undefined;
const readAxe = () => (axeSource ??= readFile(AXE_SCRIPT, 'utf8'));
