import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEXTS } from '../../src/errors.js';
import { startServer, type TestServer, type TestUser } from '../helpers/server.js';
import { seriousViolations } from './axe.js';
import { buildWebClient, launchChromium, SKIP_BROWSER_TESTS } from './browser.js';
import {
  aliceBobAndCrew,
  cspViolations,
  messageItem,
  openChat,
  openPageAt,
  PHONE_VIEWPORT,
  sendAll,
  signIn,
  VIEWPORT,
  waitForMessage,
} from './pages.js';

const SCHEMES = ['light', 'dark'] as const;
const LINK_MESSAGE = 'see https://example.com/x, not javascript:alert(1)';
const MORE_LINKS = 'read www.example.org/path. (or https://example.com/a_(b)) mailto:x@example.com';

/**
 * The web client for keyboard and screen-reader users and in both colour schemes (issue 21): an
 * axe-core audit of every screen, clickable links, and the page's language. One server: alice, bob
 * and carol; alice and bob's direct chat; the group "Crew" of the three.
 */
describe.skipIf(SKIP_BROWSER_TESTS)('web client: accessibility, links and language', () => {
  let browser: Browser;
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let direct: string;

  beforeAll(async () => {
    [, browser, server] = await Promise.all([buildWebClient(), launchChromium(), startServer()]);
    let group: string;
    ({ alice, bob, direct, group } = await aliceBobAndCrew(server));
    await sendAll(server, [
      [bob, direct, LINK_MESSAGE],
      [bob, direct, 'and a second thought from bob'],
      [bob, group, 'the searchable plan for Friday'],
      [alice, direct, 'searchable reply from alice'],
      [alice, direct, MORE_LINKS],
    ]);
  }, 120_000);

  afterEach(() => {
    expect(cspViolations.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens alice and bob's chat (its title, bob's name, is also in the group's preview). */
  async function openDirect(page: Page): Promise<void> {
    await page.locator(`[data-testid=chat-item][data-chat-id="${direct}"]`).click();
    await page.getByTestId('conversation-title').getByText(bob.user.username, { exact: true }).waitFor();
  }

  /** The audit of the page as it is now in both colour schemes. */
  async function audit(page: Page, where: string): Promise<string[]> {
    const found: string[] = [];
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      found.push(...(await seriousViolations(page, `${where}, ${colorScheme}`)));
    }
    return found;
  }

  it('axe finds no serious or critical violation on any screen, desktop and phone, light and dark', async () => {
    const found: string[] = [];
    for (const [size, viewport] of [
      ['desktop', VIEWPORT],
      ['phone', PHONE_VIEWPORT],
    ] as const) {
      const { context, page } = await openPageAt(browser, server, viewport);
      await page.getByTestId('sign-in').waitFor();
      found.push(...(await audit(page, `${size} login`)));
      await signIn(page, alice.user.username, alice.password);
      await page.getByTestId('chat-item').nth(1).waitFor();
      found.push(...(await audit(page, `${size} chat list`)));

      await page.getByTestId('user-search').fill(bob.user.username.slice(0, 6));
      await page.getByTestId('search-results').locator('label').first().waitFor();
      await page.getByLabel('Search messages').fill('searchable');
      await page.getByTestId('search-submit').click();
      await page.getByTestId('search-hit').nth(1).waitFor();
      found.push(...(await audit(page, `${size} people and message search results`)));

      // On a phone the conversation is a screen of its own (phone.test.ts audits it there).
      if (size === 'desktop') {
        await openDirect(page);
        await waitForMessage(page, 'searchable reply from alice');
        found.push(...(await audit(page, `${size} direct chat`)));
        await openChat(page, 'Crew');
        await waitForMessage(page, 'the searchable plan for Friday');
        await page.getByTestId('members-toggle').click();
        await page.getByTestId('member-list').waitFor();
        await page.getByTestId('add-members-toggle').click();
        found.push(...(await audit(page, `${size} group with its members panel`)));
      }
      await context.close();
    }
    expect(found).toEqual([]);
  }, 120_000);

  it('follows the system’s colour scheme, and shows where the keyboard focus is', async () => {
    const { context, page } = await openPageAt(browser, server, VIEWPORT);
    await signIn(page, alice.user.username, alice.password);
    await openDirect(page);
    // Strings, evaluated in the page (the tests' TypeScript has no DOM types).
    const colours = () =>
      page.evaluate<{ page: string; text: string; bubble: string }>(`(() => {
        const of = (selector) => getComputedStyle(document.querySelector(selector));
        return { page: of('body').backgroundColor, text: of('body').color, bubble: of('li.message').backgroundColor };
      })()`);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await colours();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colours();
    for (const part of ['page', 'text', 'bubble'] as const) expect(dark[part], part).not.toBe(light[part]);
    // A dark page is dark: its background darker than its text.
    const luminance = (rgb: string) => (rgb.match(/\d+/g) ?? []).slice(0, 3).reduce((sum, n) => sum + Number(n), 0);
    expect(luminance(dark.page)).toBeLessThan(luminance(dark.text));

    // Focus moved by the keyboard draws a ring; the composer has it when the chat opens.
    await page.keyboard.press('Shift+Tab');
    const ring = await page.evaluate<{ tag: string; outline: string; width: number }>(`(() => {
      const style = getComputedStyle(document.activeElement);
      return { tag: document.activeElement.tagName, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    })()`);
    expect(ring.tag).not.toBe('BODY');
    expect(ring.outline).not.toBe('none');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    await context.close();
  });

  it('links in a message open in a new tab without the opener; other schemes stay text; avatars, grouping and full dates', async () => {
    const { context, page } = await openPageAt(browser, server, VIEWPORT);
    await signIn(page, alice.user.username, alice.password);
    await openDirect(page);
    await waitForMessage(page, LINK_MESSAGE);
    const message = messageItem(page, LINK_MESSAGE);
    const links = message.locator('a');
    expect(await links.count()).toBe(1);
    expect(await links.textContent()).toBe('https://example.com/x');
    expect(await links.getAttribute('href')).toBe('https://example.com/x');
    expect(await links.getAttribute('target')).toBe('_blank');
    expect(await links.getAttribute('rel')).toBe('noopener noreferrer');
    // javascript: is text, and the comma after the address is the sentence's.
    expect(await message.getByTestId('message-text').textContent()).toBe(LINK_MESSAGE);
    expect(await page.locator('a[href^="javascript"]').count()).toBe(0);
    // A www. name links to https; a sentence's full stop and parenthesis are not part of an address.
    const more = messageItem(page, MORE_LINKS).locator('a');
    expect(await more.evaluateAll((links) => links.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual([
      ['www.example.org/path', 'https://www.example.org/path'],
      ['https://example.com/a_(b)', 'https://example.com/a_(b)'],
    ]);

    // Bob's message has his avatar (hidden from screen readers, his name is beside it); Alice's own has none.
    const avatar = message.getByTestId('avatar');
    expect(await avatar.getAttribute('aria-hidden')).toBe('true');
    const initials = bob.user.username.split('_').map((word) => word[0]);
    expect(await avatar.textContent()).toBe(initials.join('').toUpperCase());
    expect(await messageItem(page, 'searchable reply from alice').getByTestId('avatar').count()).toBe(0);
    // Bob's next message moments later continues his group: no second avatar, the name only for screen readers.
    const second = messageItem(page, 'and a second thought from bob');
    expect(await message.getAttribute('class')).not.toContain('continued');
    expect(await second.getAttribute('class')).toContain('continued');
    expect(await second.getByTestId('avatar').count()).toBe(0);
    expect(await second.locator('.author').getAttribute('class')).toContain('visually-hidden');
    expect(await message.locator('.author').getAttribute('class')).not.toContain('visually-hidden');

    // The time carries the full date: machine-readable, as a tooltip, and as text for screen readers.
    const time = message.locator('time');
    const datetime = (await time.getAttribute('datetime')) ?? '';
    expect(Number.isNaN(Date.parse(datetime))).toBe(false);
    const full = await time.getAttribute('title');
    expect(full).toContain(String(new Date(datetime).getFullYear()));
    expect(await time.locator('.visually-hidden').textContent()).toBe(full);
    await context.close();
  });

  it('the login page offers English and Russian; server errors show in the page’s language by their code', async () => {
    const { context, page } = await openPageAt(browser, server, VIEWPORT);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    // A wrong password: the server answers UNAUTHORIZED (its text is Russian); the page says it in English.
    await page.getByLabel('Email or username').fill(alice.user.username);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByTestId('sign-in').click();
    await page.getByTestId('login-error').getByText('Wrong email, username or password.').waitFor();
    // A taken username: CONFLICT, in English rather than the server's Russian text.
    await page.getByLabel('Email', { exact: true }).fill(`other-${randomUUID()}@example.com`);
    await page.getByLabel('Username', { exact: true }).fill(alice.user.username);
    await page.getByLabel('Password (8+ characters)').fill('long enough password');
    await page.getByTestId('register').click();
    await page.getByTestId('login-error').getByText('That is already taken or has changed.').waitFor();

    // The switch reloads the page in Russian, and the choice stays for the next visit.
    await page.getByLabel('Language').selectOption('ru');
    await page.getByRole('heading', { name: 'Регистрация' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    expect(await page.getByLabel('Язык').inputValue()).toBe('ru');
    await page.getByLabel('Email или имя пользователя').fill(alice.user.username);
    await page.getByLabel('Пароль', { exact: true }).fill('not the password');
    await page.getByTestId('sign-in').click();
    await page.getByTestId('login-error').getByText('Неверный email, имя пользователя или пароль.').waitFor();
    // A Russian page shows the server's own (Russian, more specific) text.
    await page.getByLabel('Имя пользователя', { exact: true }).fill(alice.user.username);
    await page.getByLabel('Email', { exact: true }).fill(`other-${randomUUID()}@example.com`);
    await page.getByLabel('Пароль (не короче 8 символов)').fill('long enough password');
    await page.getByTestId('register').click();
    await page.getByTestId('login-error').getByText(TEXTS.usernameTaken).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Регистрация' }).waitFor();
    await signIn(page, alice.user.username, alice.password);
    await openChat(page, 'Crew');
    await page.getByRole('button', { name: 'Участники' }).click();
    await page.getByLabel('Название группы', { exact: true }).waitFor();
    expect(await page.getByTestId('member-role').allTextContents()).toContain('владелец');
    await context.close();
  });
});
