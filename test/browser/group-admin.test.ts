import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  closeSockets,
  createChat,
  registerUser,
  startServer,
  type TestServer,
  type TestUser,
} from '../helpers/server.js';
import { buildWebClient, launchChromium, SKIP_BROWSER_TESTS } from './browser.js';
import {
  acceptDialogs,
  cspViolations,
  messageItem,
  openChat,
  sendInPage,
  signedInPages,
  waitForMessage,
} from './pages.js';

/** `user`'s entry in the open group's members panel. */
const member = (page: Page, user: TestUser) => page.locator(`[data-testid=member][data-user-id="${user.user.id}"]`);

/** Waits until the members panel shows `user` with `role`. */
const roleShown = (page: Page, user: TestUser, role: string) =>
  page.locator(`[data-testid=member][data-user-id="${user.user.id}"][data-role="${role}"]`).waitFor();

/** Waits for the system notice `text` among the open conversation's messages. */
const noticeShown = (page: Page, text: string) =>
  page.getByTestId('chat-notice').filter({ hasText: text }).first().waitFor();

/** The web client's group roles, blocking and reporting (README "Group roles", "Blocking and reporting"). */
describe.skipIf(SKIP_BROWSER_TESTS)('web client: group roles, blocking and reporting', () => {
  let browser: Browser;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    await buildWebClient();
    browser = await launchChromium();
  }, 120_000);

  afterEach(() => {
    expect(cspViolations.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    closeSockets();
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  async function freshServer(): Promise<TestServer> {
    const server = await startServer();
    servers.push(server);
    return server;
  }

  it('the members panel shows roles; owner and admins run the group from it, live in the others’ open tabs, with notices', async () => {
    const server = await freshServer();
    const [alice, bob, carol] = await Promise.all([
      registerUser(server, 'alice'),
      registerUser(server, 'bob'),
      registerUser(server, 'carol'),
    ]);
    const [aliceName, bobName, carolName] = [alice.user.username, bob.user.username, carol.user.username];
    await createChat(server, alice, [bob, carol], 'Crew');
    const pages = await signedInPages(browser, server, [alice, bob, carol]);
    const [a, b, c] = pages.map((p) => p.page) as [Page, Page, Page];
    acceptDialogs(a);
    acceptDialogs(b);
    for (const page of [a, b, c]) {
      await openChat(page, 'Crew');
      await page.getByTestId('members-toggle').click();
    }
    await sendInPage(c, 'carol says hi');
    await waitForMessage(b, 'carol says hi');

    // Everyone sees the roles; a plain member gets none of the controls (nor pin, nor others' delete).
    for (const page of [a, b, c]) {
      await roleShown(page, alice, 'owner');
      await roleShown(page, bob, 'member');
      await roleShown(page, carol, 'member');
    }
    expect(await b.getByTestId('members-toggle').getAttribute('aria-expanded')).toBe('true');
    expect(await b.getByTestId('group-rename').isHidden()).toBe(true);
    expect(await b.getByTestId('members-can-add').isHidden()).toBe(true);
    for (const control of ['remove-member', 'make-admin', 'make-owner'])
      expect(await b.getByTestId(control).count()).toBe(0);
    expect(await messageItem(b, 'carol says hi').getByTestId('pin-message').count()).toBe(0);
    expect(await messageItem(b, 'carol says hi').getByTestId('delete-message').count()).toBe(0);
    expect(await c.getByTestId('add-members-toggle').isVisible()).toBe(true);

    // The owner renames the group from the keyboard: the title, the list and a notice follow live.
    await a.getByLabel('Group name', { exact: true }).fill('Crew 2');
    await a.getByLabel('Group name', { exact: true }).press('Enter');
    for (const page of [a, b, c]) {
      await page.locator('[data-testid=conversation-title]', { hasText: 'Crew 2' }).waitFor();
      await page.locator('[data-testid=chat-item]', { hasText: 'Crew 2' }).waitFor();
      await noticeShown(page, `${aliceName} renamed the group to Crew 2`);
    }

    // The owner makes Bob an admin (a labelled button, by keyboard): Bob's tab gains the admin's controls.
    await a.getByRole('button', { name: `Make admin: ${bobName}` }).focus();
    await a.keyboard.press('Enter');
    for (const page of [a, b, c]) {
      await roleShown(page, bob, 'admin');
      await noticeShown(page, `${bobName} is now an admin`);
    }
    await b.getByTestId('group-rename').waitFor();
    await member(b, carol).getByTestId('remove-member').waitFor();
    expect(await member(b, alice).getByTestId('remove-member').count()).toBe(0);
    expect(await b.getByTestId('make-admin').count()).toBe(0);
    await messageItem(b, 'carol says hi').getByTestId('pin-message').waitFor();
    await messageItem(b, 'carol says hi').getByTestId('delete-message').waitFor();

    // Only admins may add people from now on: Carol's "Add people" goes away live.
    await a.getByLabel('Members can add people').uncheck();
    await c.getByTestId('add-members-toggle').waitFor({ state: 'hidden' });
    await noticeShown(c, `${aliceName} let only admins add people`);
    await expect.poll(() => b.getByLabel('Members can add people').isChecked()).toBe(false);

    // Bob, an admin, deletes Carol's message and then removes her: the chat leaves her page.
    await messageItem(b, 'carol says hi').getByTestId('delete-message').click();
    await messageItem(a, 'message deleted').waitFor();
    await member(b, carol).getByTestId('remove-member').click();
    await c.locator('[data-testid=chat-item]', { hasText: 'Crew 2' }).waitFor({ state: 'detached' });
    await member(a, carol).waitFor({ state: 'detached' });
    await noticeShown(a, `${bobName} removed ${carolName}`);

    // Alice hands the group over to Bob: she becomes an admin and loses the owner's controls.
    await member(a, bob).getByTestId('make-owner').click();
    for (const page of [a, b]) {
      await roleShown(page, bob, 'owner');
      await roleShown(page, alice, 'admin');
      await noticeShown(page, `${bobName} is now the owner`);
    }
    await a.getByTestId('make-owner').waitFor({ state: 'detached' });
    await member(b, alice).getByTestId('unmake-admin').waitFor();

    // A page opened later shows the recent notices too (a removed member, unknown to it by name, as such).
    await b.reload();
    await b.waitForSelector('[data-testid=connection][data-state=online]');
    await openChat(b, 'Crew 2');
    await noticeShown(b, `${aliceName} renamed the group to Crew 2`);
    await noticeShown(b, `${bobName} removed a former member`);
    await noticeShown(b, `${bobName} is now the owner`);
    await Promise.all(pages.map((p) => p.context.close()));
  }, 90_000);

  it('a direct chat’s header blocks and unblocks; the blocked user sees the server’s refusal; others’ messages are reported with a reason', async () => {
    const server = await freshServer();
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    await createChat(server, alice, [bob]);
    const pages = await signedInPages(browser, server, [alice, bob]);
    const [a, b] = pages.map((p) => p.page) as [Page, Page];
    await openChat(a, bob.user.username);
    await openChat(b, alice.user.username);

    // Alice blocks Bob (after a confirmation): the server has it, and Bob's next message is refused.
    const blockBob = a.getByRole('button', { name: `Block ${bob.user.username}`, exact: true });
    await expect.poll(() => blockBob.isEnabled()).toBe(true);
    a.once('dialog', (dialog) => void dialog.accept());
    await blockBob.click();
    await a.getByRole('button', { name: `Unblock ${bob.user.username}`, exact: true }).waitFor();
    const blocks = await api(server, 'GET', '/users/me/blocks', { token: alice.token });
    expect(blocks.body.users.map((u: { id: string }) => u.id)).toEqual([bob.user.id]);

    // Refused: the message stays on Bob's page as failed, with the reason and Retry.
    await sendInPage(b, 'are you there?');
    const failed = b.locator('[data-testid=pending-message][data-state=failed]', { hasText: 'are you there?' });
    await failed
      .getByTestId('pending-state')
      .filter({ hasText: 'Not sent: You do not have access to this.' })
      .waitFor();
    // A second refused one is discarded: it goes, the first stays.
    await sendInPage(b, 'never mind');
    const discarded = b.locator('[data-testid=pending-message][data-state=failed]', { hasText: 'never mind' });
    await discarded.getByTestId('discard-message').click();
    await discarded.waitFor({ state: 'detached' });
    expect(await failed.count()).toBe(1);

    // After a reload the header still knows; unblocking lets Bob's retry through.
    await a.reload();
    await a.waitForSelector('[data-testid=connection][data-state=online]');
    await openChat(a, bob.user.username);
    const unblockBob = a.getByRole('button', { name: `Unblock ${bob.user.username}`, exact: true });
    await expect.poll(() => unblockBob.isEnabled()).toBe(true);
    await unblockBob.click();
    await blockBob.waitFor();
    await failed.getByTestId('retry-message').click();
    await waitForMessage(a, 'are you there?');

    // Reporting: only on others' messages; a dismissed question sends nothing.
    await sendInPage(a, 'buy cheap pills');
    await waitForMessage(b, 'buy cheap pills');
    expect(await messageItem(b, 'are you there?').getByTestId('report-message').count()).toBe(0);
    const report = messageItem(b, 'buy cheap pills').getByRole('button', {
      name: `report this message from ${alice.user.username}`,
    });
    b.once('dialog', (dialog) => void dialog.dismiss());
    await report.click();
    expect((await server.app.store.moderation.listReports({ limit: 10 })).entries).toEqual([]);

    // By keyboard, with a reason: confirmed on the page, stored for the moderators.
    b.once('dialog', (dialog) => void dialog.accept(dialog.type() === 'prompt' ? '  spam  ' : undefined));
    await report.focus();
    await b.keyboard.press('Enter');
    await b.getByTestId('conversation-status').filter({ hasText: 'Reported' }).waitFor();
    const { entries } = await server.app.store.moderation.listReports({ limit: 10 });
    expect(entries.map((r) => [r.message.text, r.reporter.id, r.reason])).toEqual([
      ['buy cheap pills', bob.user.id, 'spam'],
    ]);
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);
});
