import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ask, connect, createChat, registerUser, type TestUser } from '../helpers/server.js';

// The web client's pages as the browser tests drive them: opening, signing in, chatting.

/** The browser window of every test page. */
export const VIEWPORT = { width: 760, height: 560 };

/** Content-Security-Policy violations on any page of the running test: Chromium logs each as a console error. */
export const cspViolations: string[] = [];

export function watchForCspViolations(page: Page): void {
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
}

/** The page at `/` in a browser context of its own (its own localStorage: its own signed-in user). */
export async function openPage(
  browser: Browser,
  server: { url: string },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  watchForCspViolations(page);
  await page.goto(`${server.url}/`);
  return { context, page };
}

export async function registerInPage(
  page: Page,
  prefix: string,
): Promise<{ username: string; email: string; password: string }> {
  const tag = randomUUID().slice(0, 6);
  const account = { username: `${prefix}_${tag}`, email: `${prefix}-${tag}@example.com`, password: `pw-${tag}-secret` };
  await page.fill('[data-testid=email]', account.email);
  await page.fill('[data-testid=username]', account.username);
  await page.fill('[data-testid=new-password]', account.password);
  await page.click('[data-testid=register]');
  await page.waitForSelector('[data-testid=connection][data-state=online]');
  return account;
}

export async function signIn(page: Page, login: string, password: string): Promise<void> {
  await page.fill('[data-testid=login]', login);
  await page.fill('[data-testid=password]', password);
  await page.click('[data-testid=sign-in]');
  await page.waitForSelector('[data-testid=connection][data-state=online]');
}

export async function sendInPage(page: Page, text: string): Promise<void> {
  await page.fill('[data-testid=composer]', text);
  await page.press('[data-testid=composer]', 'Enter');
}

/** The texts of the open conversation, oldest first. */
export const messageTexts = (page: Page) =>
  page.$$eval('[data-testid=message-text]', (nodes) => nodes.map((n) => n.textContent));

export async function waitForMessage(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.locator('[data-testid=message-text]').getByText(text, { exact: true }).first().waitFor({ timeout });
}

/** The open conversation's message whose text is exactly `text`. */
export const messageItem = (page: Page, text: string) =>
  page.locator('li.message').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) });

/** The open group's members as its header lists them, sorted (the server's order is not specified). */
export const memberNames = async (page: Page) =>
  ((await page.textContent('[data-testid=members]')) ?? '').split(', ').sort();

/** A second window of the same browser context: same localStorage, so the same signed-in user. */
export async function secondWindow(context: BrowserContext, server: { url: string }): Promise<Page> {
  const page = await context.newPage();
  watchForCspViolations(page);
  await page.goto(`${server.url}/`);
  await page.waitForSelector('[data-testid=connection][data-state=online]');
  return page;
}

/** Each user signed in (through the form) on a page of a browser context of their own. */
export async function signedInPages(
  browser: Browser,
  server: { url: string },
  users: TestUser[],
): Promise<{ context: BrowserContext; page: Page }[]> {
  const opened = [];
  for (const user of users) {
    const one = await openPage(browser, server);
    await signIn(one.page, user.user.username, user.password);
    opened.push(one);
  }
  return opened;
}

/** Says yes to every confirm() of the page (delete a message, leave a chat). */
export const acceptDialogs = (page: Page) => page.on('dialog', (dialog) => void dialog.accept());

export async function openChat(page: Page, title: string): Promise<void> {
  await page.locator('[data-testid=chat-item]').filter({ hasText: title }).click();
  await page.locator('[data-testid=conversation-title]', { hasText: title }).waitFor();
}

/** A phone's window (the size issue 21 was tried at). */
export const PHONE_VIEWPORT = { width: 375, height: 700 };

/**
 * The page at `/` as openPage opens it, in a window of `viewport` (a phone's, a narrow one) and, when
 * given, the colour scheme the page sees as the system's.
 */
export async function openPageAt(
  browser: Browser,
  server: { url: string },
  viewport: { width: number; height: number },
  colorScheme: 'light' | 'dark' = 'light',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  watchForCspViolations(page);
  await page.goto(`${server.url}/`);
  return { context, page };
}

/** alice, bob and carol; alice and bob's direct chat (`direct`); alice's group "Crew" of the three. */
export async function aliceBobAndCrew(server: { url: string }) {
  const [alice, bob, carol] = await Promise.all([
    registerUser(server, 'alice'),
    registerUser(server, 'bob'),
    registerUser(server, 'carol'),
  ]);
  const direct = await createChat(server, alice, [bob]);
  const group = await createChat(server, alice, [bob, carol], 'Crew');
  return { alice, bob, carol, direct, group };
}

/** Sends each `[author, chatId, text]` over a socket of the author's, one after the other. */
export async function sendAll(server: { url: string }, messages: [TestUser, string, string][]): Promise<void> {
  for (const [author, chatId, text] of messages) {
    const socket = await connect(server, author.token);
    await ask(socket, 'send_message', { chatId, text });
    socket.close();
  }
}
