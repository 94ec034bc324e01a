import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ask,
  closeSockets,
  connect,
  createChat,
  registerUser,
  startServer,
  type TestServer,
} from '../helpers/server.js';
import { buildWebClient, launchChromium, SKIP_BROWSER_TESTS } from './browser.js';
import { SAMPLES } from '../helpers/files.js';
import {
  acceptDialogs,
  cspViolations,
  memberNames,
  messageItem,
  messageTexts,
  openChat,
  openPage,
  registerInPage,
  secondWindow,
  sendInPage,
  signedInPages,
  signIn,
  PHONE_VIEWPORT,
  VIEWPORT,
  waitForMessage,
} from './pages.js';

// The README's picture is refreshed on demand (UPDATE_SCREENSHOT=1 npm test); other runs still take
// it, into the temp folder, so that a plain `npm test` leaves the work tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url))
  : path.join(tmpdir(), `parley-screenshot-${process.pid}.png`);

describe.skipIf(SKIP_BROWSER_TESTS)('web client in headless Chromium', () => {
  let browser: Browser;
  const servers: TestServer[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    await buildWebClient();
    browser = await launchChromium();
  }, 120_000);

  // The client works under its Content-Security-Policy: no test may make the browser refuse anything.
  afterEach(() => {
    expect(cspViolations.splice(0)).toEqual([]);
  });

  /**
   * A fresh server; alice and bob in a direct chat, each signed in on a page of their own with the
   * chat open (alice's page, `a`, accepts confirmation dialogs; bob's is `b`).
   */
  async function aliceAndBobInTheirChat() {
    const server = await startServer();
    servers.push(server);
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    await createChat(server, alice, [bob]);
    const pages = await signedInPages(browser, server, [alice, bob]);
    const [a, b] = pages.map((p) => p.page) as [Page, Page];
    acceptDialogs(a);
    await openChat(a, bob.user.username);
    await openChat(b, alice.user.username);
    return { alice, pages, a, b };
  }

  afterAll(async () => {
    closeSockets();
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('is served with security headers and a Content-Security-Policy it runs under, which stops injected script', async () => {
    const server = await startServer();
    servers.push(server);
    const { context, page } = await openPage(browser, server);
    const scriptUrl = new URL((await page.getAttribute('script[type=module]', 'src'))!, `${server.url}/`).href;
    for (const response of [await page.request.get(`${server.url}/`), await page.request.get(scriptUrl)]) {
      const headers = response.headers();
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['content-security-policy']).not.toContain('unsafe');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
    }
    // Signing up and chatting (HTTP, the Socket.IO WebSocket, the stylesheet) need nothing the policy refuses.
    await registerInPage(page, 'csp');
    expect(await page.evaluate('getComputedStyle(document.body).margin')).toBe('0px');

    // Script injected into the page (as an XSS would) does not run, and the browser says why.
    await page.evaluate(
      `document.body.append(Object.assign(document.createElement('script'), { textContent: 'window.injected = true' }))`,
    );
    await expect.poll(() => cspViolations.length).toBe(1);
    expect(cspViolations.splice(0)[0]).toMatch(/inline script/i);
    expect(await page.evaluate('window.injected')).toBeUndefined();
    await context.close();
  }, 60_000);

  it('two users in two windows chat live: search, start a chat, unread count, typing, read state', async () => {
    const server = await startServer();
    servers.push(server);
    const alice = await openPage(browser, server);
    const bob = await openPage(browser, server);
    await registerInPage(alice.page, 'alice');
    const bobAccount = await registerInPage(bob.page, 'bob');

    // Alice finds Bob and starts a direct chat with him.
    await alice.page.fill('[data-testid=user-search]', bobAccount.username.slice(0, 7));
    await alice.page.check(`label[data-username="${bobAccount.username}"] input`);
    await alice.page.click('[data-testid=start-chat]');
    await alice.page.waitForSelector('[data-testid=composer]');
    expect(await alice.page.textContent('[data-testid=conversation-title]')).toBe(bobAccount.username);

    // Markup in a message is shown as text, never parsed.
    const hostile = '<img src=x onerror="window.pwned=1"><b>hi Bob</b>';
    await sendInPage(alice.page, hostile);
    await waitForMessage(alice.page, hostile);

    // Bob's list shows the new chat live, with the message and one unread.
    await bob.page.waitForSelector('[data-testid=chat-item] [data-testid=unread]');
    expect(await bob.page.textContent('[data-testid=unread]')).toBe('1');
    await bob.page.click('[data-testid=chat-item]');
    await waitForMessage(bob.page, hostile);
    expect(await bob.page.$$('.messages b, .messages img')).toHaveLength(0);
    expect(await bob.page.evaluate('window.pwned')).toBeUndefined();
    await bob.page.waitForSelector('[data-testid=chat-item]:not(:has([data-testid=unread]))');

    // Presence: each sees the other online in the chat list.
    await alice.page.waitForSelector('[data-testid=chat-item] .dot.online');
    await bob.page.waitForSelector('[data-testid=chat-item] .dot.online');

    // Bob opened the chat, so Alice sees her message as read.
    await alice.page.waitForSelector('.message.mine.read');

    // Bob types: Alice sees it; Bob answers: Alice gets it live.
    await bob.page.type('[data-testid=composer]', 'Hello Alice');
    await alice.page.locator('[data-testid=typing]', { hasText: 'is typing' }).waitFor();
    await bob.page.press('[data-testid=composer]', 'Enter');
    await waitForMessage(alice.page, 'Hello Alice');
    await alice.page.waitForFunction("document.querySelector('[data-testid=typing]').textContent === ''");
    await sendInPage(alice.page, 'Привет! Как дела?');
    await waitForMessage(bob.page, 'Привет! Как дела?');
    await sendInPage(bob.page, 'Отлично, пишу из второго окна');
    await waitForMessage(alice.page, 'Отлично, пишу из второго окна');
    expect(await messageTexts(alice.page)).toEqual(await messageTexts(bob.page));

    await saveScreenshot(browser, alice.page, bob.page);
    await alice.context.close();
    await bob.context.close();
  }, 60_000);

  it('the author edits and deletes their own message, live on the other page; nobody else gets the controls', async () => {
    const { alice, pages, a, b } = await aliceAndBobInTheirChat();
    // Each send waits for the previous one to arrive, so that their order is known.
    await sendInPage(a, 'first draft');
    await waitForMessage(b, 'first draft');
    await sendInPage(b, 'bob was here');
    await waitForMessage(a, 'bob was here');
    await sendInPage(a, 'to be deleted');
    await waitForMessage(b, 'to be deleted');

    // Controls only on one's own messages (others' can be reported), and no group controls in a direct chat.
    await expect.poll(() => messageItem(a, 'first draft').getByTestId('edit-message').count()).toBe(1);
    expect(await messageItem(a, 'bob was here').getByTestId('edit-message').count()).toBe(0);
    expect(await messageItem(a, 'bob was here').getByTestId('delete-message').count()).toBe(0);
    expect(await messageItem(b, 'first draft').locator('.meta button').allTextContents()).toEqual([
      'reply',
      'react',
      'pin',
      'report',
    ]);
    expect(await messageItem(b, 'bob was here').getByTestId('delete-message').count()).toBe(1);
    expect(await a.getByTestId('leave-chat').count()).toBe(0);
    expect(await a.getByTestId('add-members-toggle').count()).toBe(0);

    // Edit in the composer: Alice's page and Bob's show the new text in the same place, marked edited.
    await messageItem(a, 'first draft').getByTestId('edit-message').click();
    expect(await a.inputValue('[data-testid=composer]')).toBe('first draft');
    await sendInPage(a, 'final text');
    for (const page of [a, b]) {
      await messageItem(page, 'final text').getByTestId('edited').waitFor();
      expect(await messageTexts(page)).toEqual(['final text', 'bob was here', 'to be deleted']);
    }
    expect(await a.inputValue('[data-testid=composer]')).toBe('');

    // The server's refusal is shown, and the message stays as it was.
    await messageItem(a, 'final text').getByTestId('edit-message').click();
    await a.fill('[data-testid=composer]', '   ');
    await a.press('[data-testid=composer]', 'Enter');
    await a.locator('[data-testid=conversation-error]', { hasText: /^Not edited: .+/ }).waitFor();
    await a.press('[data-testid=composer]', 'Escape');
    expect(await a.isVisible('[data-testid=edit-bar]')).toBe(false);
    expect(await messageTexts(b)).toEqual(['final text', 'bob was here', 'to be deleted']);

    // Delete: a tombstone in its place on both pages, without its text and without controls.
    const deletedId = await messageItem(a, 'to be deleted').getAttribute('data-id');
    await messageItem(a, 'to be deleted').getByTestId('delete-message').click();
    for (const page of [a, b]) {
      const tombstone = page.locator(`li.message.deleted[data-id="${deletedId}"]`);
      await tombstone.waitFor();
      expect(await tombstone.locator('button').count()).toBe(0);
      expect(await messageTexts(page)).toEqual(['final text', 'bob was here', 'message deleted']);
    }

    // History (a fresh page) shows the same: edited mark and tombstone.
    await b.reload();
    await openChat(b, alice.user.username);
    await messageItem(b, 'final text').getByTestId('edited').waitFor();
    expect(await messageTexts(b)).toEqual(['final text', 'bob was here', 'message deleted']);
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('replies: "reply" by keyboard, the quote above the bubble on both pages, a visible cancel; the target’s deletion shows in the quote', async () => {
    const { alice, pages, a, b } = await aliceAndBobInTheirChat();
    await sendInPage(a, 'the question');
    await waitForMessage(b, 'the question');

    // Cancelled: the bar goes, and the next send is no reply.
    await messageItem(b, 'the question').getByTestId('reply-message').click();
    await b.getByTestId('reply-bar').getByText('the question').waitFor();
    await b.getByTestId('cancel-reply').click();
    expect(await b.isVisible('[data-testid=reply-bar]')).toBe(false);
    await sendInPage(b, 'not a reply');
    await waitForMessage(a, 'not a reply');
    expect(await messageItem(a, 'not a reply').getByTestId('reply-quote').count()).toBe(0);

    // Chosen from the keyboard: focus the button, Enter, type, Enter.
    await messageItem(b, 'the question').getByTestId('reply-message').focus();
    await b.keyboard.press('Enter');
    expect(await b.isVisible('[data-testid=reply-bar]')).toBe(true);
    await sendInPage(b, 'the answer');
    await waitForMessage(a, 'the answer');
    for (const page of [a, b]) {
      expect(await messageItem(page, 'the answer').getByTestId('reply-quote').textContent()).toBe(
        `${alice.user.username}the question`,
      );
    }
    expect(await b.isVisible('[data-testid=reply-bar]')).toBe(false);

    // The target deleted on Alice's page: Bob's quote shows the deletion live, and after a reload.
    await messageItem(a, 'the question').getByTestId('delete-message').click();
    await messageItem(b, 'the answer').locator('.reply-quote.deleted').waitFor();
    await b.reload();
    await openChat(b, alice.user.username);
    await waitForMessage(b, 'the answer');
    expect(await messageItem(b, 'the answer').getByTestId('reply-quote').textContent()).toBe(
      `${alice.user.username}message deleted`,
    );
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('mentions: highlighted as text on both pages, "@1" in the mentioned user’s list until read', async () => {
    const server = await startServer();
    servers.push(server);
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((p) => registerUser(server, p)));
    await createChat(server, alice!, [bob!, carol!], 'Mention group');
    const pages = await signedInPages(browser, server, [alice!, bob!]);
    const [a, b] = pages.map((p) => p.page) as [Page, Page];
    await openChat(a, 'Mention group');

    // Bob has no chat open: his list counts the mention.
    const text = `hi @${bob!.user.username.toUpperCase()}, <b>not bold</b> me@${carol!.user.username}`;
    await sendInPage(a, text);
    await waitForMessage(a, text);
    await b.waitForSelector('[data-testid=chat-item] [data-testid=mention-count]');
    expect(await b.textContent('[data-testid=mention-count]')).toBe('@1');
    expect(await b.textContent('[data-testid=unread]')).toBe('1');

    // Only the resolved mention is marked (not the email), on both pages; markup stays text.
    for (const page of [a, b]) {
      if (page === b) await openChat(b, 'Mention group');
      await waitForMessage(page, text);
      const marks = messageItem(page, text).getByTestId('mention');
      expect(await marks.allTextContents()).toEqual([`@${bob!.user.username.toUpperCase()}`]);
      expect(await page.$$('.messages b')).toHaveLength(0);
    }
    expect(await messageItem(b, text).locator('mark.mention.me').count()).toBe(1);
    expect(await messageItem(a, text).locator('mark.mention.me').count()).toBe(0);
    // Read on opening: the badge goes.
    await b.waitForSelector('[data-testid=chat-item]:not(:has([data-testid=mention-count]))');
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('reactions and pins: the palette by keyboard, chips that toggle, counts and pins live on the other page', async () => {
    const { alice, pages, a, b } = await aliceAndBobInTheirChat();
    await sendInPage(a, 'react to this');
    await waitForMessage(b, 'react to this');

    // Bob opens the palette from the keyboard and picks 👍: both pages show one 👍, pressed on Bob's only.
    await messageItem(b, 'react to this').getByTestId('react-message').focus();
    await b.keyboard.press('Enter');
    await b.keyboard.press('Enter'); // the palette's first emoji has the focus
    const chip = (page: Page) => messageItem(page, 'react to this').locator('[data-testid=reaction][data-emoji="👍"]');
    for (const page of [a, b]) await chip(page).filter({ hasText: '👍 1' }).waitFor();
    expect(await chip(b).getAttribute('aria-pressed')).toBe('true');
    expect(await chip(a).getAttribute('aria-pressed')).toBe('false');
    expect(await chip(a).getAttribute('aria-label')).toBe('👍: 1 reaction');

    // Alice's click on the chip adds hers; Bob's count follows, and his `me` stays.
    await chip(a).click();
    for (const page of [a, b]) await chip(page).filter({ hasText: '👍 2' }).waitFor();
    expect(await chip(a).getAttribute('aria-pressed')).toBe('true');
    expect(await chip(b).getAttribute('aria-pressed')).toBe('true');
    // Bob takes his back.
    await chip(b).click();
    for (const page of [a, b]) await chip(page).filter({ hasText: '👍 1' }).waitFor();
    expect(await chip(b).getAttribute('aria-pressed')).toBe('false');
    expect(await chip(a).getAttribute('aria-pressed')).toBe('true');

    // Alice pins it: the pinned bar on both pages; Bob unpins it and the bars empty.
    await messageItem(a, 'react to this').getByTestId('pin-message').click();
    for (const page of [a, b]) {
      await page.getByTestId('pinned-bar').getByText(`${alice.user.username}: react to this`).waitFor();
      await messageItem(page, 'react to this').getByTestId('pinned-mark').waitFor();
    }
    await messageItem(b, 'react to this').getByTestId('unpin-message').click();
    for (const page of [a, b]) await page.getByTestId('pinned-bar').waitFor({ state: 'hidden' });

    // A pinned message's edit shows in the bar; its deletion unpins it on both pages.
    await sendInPage(a, 'pin then delete');
    await waitForMessage(b, 'pin then delete');
    await messageItem(b, 'pin then delete').getByTestId('pin-message').click();
    for (const page of [a, b])
      await page.getByTestId('pinned-bar').getByText(`${alice.user.username}: pin then delete`).waitFor();
    await messageItem(a, 'pin then delete').getByTestId('edit-message').click();
    await sendInPage(a, 'pinned, edited');
    for (const page of [a, b])
      await page.getByTestId('pinned-bar').getByText(`${alice.user.username}: pinned, edited`).waitFor();
    await messageItem(a, 'pinned, edited').getByTestId('delete-message').click();
    for (const page of [a, b]) await page.getByTestId('pinned-bar').waitFor({ state: 'hidden' });

    // A fresh page reads the same state: Alice's reaction, pressed for her.
    await a.reload();
    await openChat(a, 'bob');
    await chip(a).filter({ hasText: '👍 1' }).waitFor();
    expect(await chip(a).getAttribute('aria-pressed')).toBe('true');
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('attachments: the labelled attach button uploads and sends; an image shows as a preview, a file as a download with name and size, on both pages', async () => {
    const { pages, a, b } = await aliceAndBobInTheirChat();
    const png = await SAMPLES.png(200, 100);
    const attach = a.getByRole('button', { name: 'Attach files' });
    expect(await attach.count()).toBe(1);
    await a.fill('[data-testid=composer]', 'two files');
    await a.setInputFiles('[data-testid=attach-input]', [
      { name: 'wide.png', mimeType: 'image/png', buffer: png },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
    ]);
    await waitForMessage(b, 'two files');
    for (const page of [a, b]) {
      await waitForMessage(page, 'two files');
      const item = messageItem(page, 'two files');
      const image = item.getByTestId('attachment-image');
      await expect
        .poll(
          () =>
            image.evaluate((img) => {
              const loaded = img as unknown as { complete: boolean; naturalWidth: number };
              return loaded.complete ? loaded.naturalWidth : 0;
            }),
          {
            timeout: 10_000,
          },
        )
        .toBe(200);
      expect(await image.getAttribute('alt')).toBe('wide.png');
      expect(await item.getByTestId('attachment-file').textContent()).toBe('notes.txt (5 B)');
    }
    const [saved] = await Promise.all([
      b.waitForEvent('download'),
      messageItem(b, 'two files').getByTestId('attachment-file').click(),
    ]);
    expect(saved.suggestedFilename()).toBe('notes.txt');
    // An image alone, with no text: the message is its preview.
    await a.setInputFiles('[data-testid=attach-input]', [{ name: 'only.png', mimeType: 'image/png', buffer: png }]);
    await expect.poll(() => b.getByTestId('attachment-image').count(), { timeout: 10_000 }).toBe(2);
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('searches messages from a labelled box by keyboard: hits with chat titles and <mark>ed words as text; a hit opens its chat', async () => {
    const server = await startServer();
    servers.push(server);
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    await createChat(server, alice, [bob]);
    const groupId = await createChat(server, alice, [bob], 'Поисковая группа');
    const socket = await connect(server, alice.token);
    await ask(socket, 'send_message', {
      chatId: groupId,
      text: 'Важные сообщения <b>не</b> разметка <img src=x onerror=alert(1)>',
    });
    await ask(socket, 'send_message', { chatId: groupId, text: 'другой текст' });
    const { page, context } = (await signedInPages(browser, server, [bob]))[0]!;

    // The box is found by its label and used from the keyboard alone.
    await page.getByLabel('Search messages').focus();
    await page.keyboard.type('сообщение');
    await page.keyboard.press('Enter');
    const hit = page.getByTestId('search-hit');
    await hit.first().waitFor();
    expect(await hit.count()).toBe(1);
    expect(await hit.locator('.chat-title').textContent()).toBe('Поисковая группа');
    expect(await hit.getByTestId('search-snippet').textContent()).toBe(
      'Важные сообщения <b>не</b> разметка <img src=x onerror=alert(1)>',
    );
    expect(await hit.locator('mark').allTextContents()).toEqual(['сообщения']);
    // The message's markup is text: no element came out of it.
    expect(await hit.locator('b, img').count()).toBe(0);

    await hit.first().focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=conversation-title]', { hasText: 'Поисковая группа' }).waitFor();
    await waitForMessage(page, 'другой текст');

    await page.getByLabel('Search messages').fill('nothingofthekind');
    await page.getByTestId('search-submit').click();
    await page.getByTestId('search-status').getByText('Nothing found').waitFor();
    await context.close();
  }, 60_000);

  it('leaving a group removes it from every window of the leaver; the others keep it and see who is left', async () => {
    const server = await startServer();
    servers.push(server);
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const carol = await registerUser(server, 'carol');
    await createChat(server, alice, [bob, carol], 'Team');
    const pages = await signedInPages(browser, server, [alice, bob]);
    const [a, b] = pages.map((p) => p.page) as [Page, Page];
    const bobOther = await secondWindow(pages[1]!.context, server);
    acceptDialogs(b);
    await openChat(a, 'Team');
    await a.locator('[data-testid=members]', { hasText: bob.user.username }).waitFor();
    await openChat(b, 'Team');
    await bobOther.locator('[data-testid=chat-item]', { hasText: 'Team' }).waitFor();

    await b.getByTestId('leave-chat').click();
    for (const page of [b, bobOther]) {
      await page.locator('[data-testid=chat-item]', { hasText: 'Team' }).waitFor({ state: 'detached' });
    }
    expect(await b.getByTestId('composer').count()).toBe(0);

    // Alice keeps the chat, and its member line drops Bob live.
    await expect.poll(() => memberNames(a)).toEqual([alice, carol].map((u) => u.user.username).sort());
    expect(await a.locator('[data-testid=chat-item]', { hasText: 'Team' }).count()).toBe(1);
    await sendInPage(a, 'still here');
    await waitForMessage(a, 'still here');
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('adding a member to a group makes the chat appear live on their page, with its history', async () => {
    const server = await startServer();
    servers.push(server);
    // Bob and Carol share a prefix, so that one search finds both (and shows Bob left out).
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'mate');
    const carol = await registerUser(server, 'mate');
    await createChat(server, alice, [bob], 'Trio');
    const pages = await signedInPages(browser, server, [alice, bob, carol]);
    const [a, b, c] = pages.map((p) => p.page) as [Page, Page, Page];
    await openChat(a, 'Trio');
    await openChat(b, 'Trio');
    await sendInPage(a, 'before Carol came');
    await waitForMessage(b, 'before Carol came');
    expect(await c.getByTestId('chat-item').count()).toBe(0);

    // Carol is offered; Bob, a member already, is not.
    await a.getByTestId('add-members-toggle').click();
    const form = a.getByTestId('add-members');
    await form.getByTestId('user-search').fill('mate_');
    await form.locator(`label[data-username="${carol.user.username}"] input`).check();
    expect(await form.locator(`label[data-username="${bob.user.username}"]`).count()).toBe(0);
    await form.getByTestId('add-members-submit').click();

    await c.locator('[data-testid=chat-item]', { hasText: 'Trio' }).waitFor();
    await openChat(c, 'Trio');
    await waitForMessage(c, 'before Carol came');
    const everyone = [alice, bob, carol].map((u) => u.user.username).sort();
    for (const page of [a, b, c]) await expect.poll(() => memberNames(page)).toEqual(everyone);
    // The members who had the chat open see it said among the messages.
    for (const page of [a, b])
      await page.getByTestId('chat-notice').getByText(`${alice.user.username} added ${carol.user.username}`).waitFor();
    // Carol is in the chat's room now: live both ways.
    await sendInPage(c, 'hi, I am Carol');
    await waitForMessage(a, 'hi, I am Carol');
    await waitForMessage(b, 'hi, I am Carol');
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('keeps every chat of the list live for a user in more chats than the server answers events at once', async () => {
    const server = await startServer();
    servers.push(server);
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    // More chats than the 32 requests a user may have waiting by default: the page joins a few at a time.
    const count = 40;
    for (let i = 0; i < count; i++) await createChat(server, alice, [bob], `room ${i}`);
    const [b] = await signedInPages(browser, server, [bob]);
    await b!.page
      .locator('[data-testid=chat-item]')
      .nth(count - 1)
      .waitFor();

    // The list is joined newest first, so the oldest chats were joined last.
    const sender = await connect(server, alice.token);
    const { chats } = await ask(sender, 'get_my_chats');
    for (const chat of chats.slice(-8))
      await ask(sender, 'send_message', { chatId: chat.id, text: `ping ${chat.name}` });
    for (const chat of chats.slice(-8)) {
      await b!.page.locator('[data-testid=chat-item]', { hasText: `ping ${chat.name}` }).waitFor({ timeout: 10_000 });
    }
    await b!.context.close();
  }, 60_000);

  it('composer: Shift+Enter is a new line, 30 quick Enters send 30 messages in order, a text past the limit is kept with a counter and a reason', async () => {
    const { pages, a, b } = await aliceAndBobInTheirChat();
    const composer = a.getByRole('textbox', { name: 'Message' });
    await composer.fill('line one');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('line two');
    await composer.press('Enter');
    await expect.poll(() => messageTexts(b)).toEqual(['line one\nline two']);

    const quick = Array.from({ length: 30 }, (_, i) => `quick ${i}`);
    for (const text of quick) {
      await composer.fill(text);
      await composer.press('Enter');
    }
    await expect.poll(() => messageTexts(b), { timeout: 20_000 }).toEqual(['line one\nline two', ...quick]);
    expect(await messageTexts(a)).toEqual(await messageTexts(b));

    // One character too many: the counter says so, Enter refuses with the reason, the text stays.
    const long = 'x'.repeat(4001);
    await composer.fill(long);
    expect(await a.getByTestId('composer-counter').textContent()).toBe('4001 / 4000');
    await composer.press('Enter');
    await a
      .getByTestId('conversation-error')
      .getByText(/^Too long to send: 4001 characters, at most 4000/)
      .waitFor();
    expect(await composer.inputValue()).toBe(long);
    expect(await a.getByTestId('pending-message').count()).toBe(0);
    await Promise.all(pages.map((p) => p.context.close()));
  }, 60_000);

  it('the open chat is in the URL (back, forward, reload, a foreign link); drafts per chat; the list by keyboard alone; the title counts unread; a muted chat notifies nothing; phone screens; start-up without a server', async () => {
    const server = await startServer();
    servers.push(server);
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((p) => registerUser(server, p)));
    const bobChat = await createChat(server, alice!, [bob!]);
    const carolChat = await createChat(server, alice!, [carol!], 'Carol and me');
    const [{ context, page: a }] = (await signedInPages(browser, server, [alice!])) as [
      { context: BrowserContext; page: Page },
    ];
    const path = () => new URL(a.url()).pathname;
    // The browser's notifications, recorded (from the next load on): asked for only from the button.
    await a.addInitScript({
      content: `window.alerts = { asked: 0, shown: [] };
        window.Notification = class {
          static permission = 'default';
          static async requestPermission() { alerts.asked += 1; this.permission = 'granted'; return 'granted'; }
          constructor(title, options) { alerts.shown.push({ title, body: options.body }); }
          addEventListener() {}
        };`,
    });
    const focused = (attribute = 'data-testid') =>
      a.evaluate<string | null>(`document.activeElement?.getAttribute('${attribute}') ?? null`);

    // The list by keyboard alone: Tab reaches it at the newest chat; Down/Up/Home/End move (and
    // stop at the ends), Enter opens; the composer takes the focus, and Enter sends.
    expect(await a.getByTestId('chat-item').first().getAttribute('data-chat-id')).toBe(carolChat);
    await a.getByTestId('search-submit').focus();
    for (const [key, chatId] of [
      ['Tab', carolChat],
      ['End', bobChat],
      ['Home', carolChat],
      ['ArrowUp', carolChat],
      ['ArrowDown', bobChat],
      ['ArrowDown', bobChat],
      ['ArrowUp', carolChat],
      ['ArrowDown', bobChat],
    ]) {
      await a.keyboard.press(key!);
      expect(await focused('data-chat-id')).toBe(chatId);
    }
    await a.keyboard.press('Enter');
    await a.locator('[data-testid=conversation-title]', { hasText: bob!.user.username }).waitFor();
    expect(path()).toBe(`/chats/${bobChat}`);
    await expect.poll(focused).toBe('composer');
    await a.keyboard.type('opened by keyboard');
    await a.keyboard.press('Enter');
    await waitForMessage(a, 'opened by keyboard');

    // A draft stays with its chat across switching, back/forward and a reload.
    await a.getByTestId('composer').fill('half-written\nsecond line');
    await openChat(a, 'Carol and me');
    expect(path()).toBe(`/chats/${carolChat}`);
    expect(await a.inputValue('[data-testid=composer]')).toBe('');
    await a.goBack();
    await a.locator('[data-testid=conversation-title]', { hasText: bob!.user.username }).waitFor();
    expect(await a.inputValue('[data-testid=composer]')).toBe('half-written\nsecond line');
    await a.goForward();
    await a.locator('[data-testid=conversation-title]', { hasText: 'Carol and me' }).waitFor();
    await a.goBack();
    await a.reload();
    await a.locator('[data-testid=conversation-title]', { hasText: bob!.user.username }).waitFor();
    expect(await a.inputValue('[data-testid=composer]')).toBe('half-written\nsecond line');
    await a.press('[data-testid=composer]', 'Enter');
    await expect.poll(() => messageTexts(a)).toEqual(['opened by keyboard', 'half-written\nsecond line']);
    await a.reload();
    await a.locator('[data-testid=conversation-title]', { hasText: bob!.user.username }).waitFor();
    expect(await a.inputValue('[data-testid=composer]')).toBe('');

    // The title counts unread messages of the other chats, and a notification says who wrote
    // (once allowed from the button: nothing asked on load).
    await openChat(a, 'Carol and me');
    expect(await a.evaluate('alerts.asked')).toBe(0);
    await a.getByRole('button', { name: 'Notify me' }).click();
    await a.getByRole('button', { name: 'Notify me' }).waitFor({ state: 'hidden' });
    // Muted from its header, the chat with Carol stays quiet (its message arrives, out of view);
    // Bob's unmuted chat still notifies.
    await a.getByTestId('mute-chat').click();
    await a.getByTestId('mute-chat').getByText('Unmute').waitFor();
    await openChat(a, bob!.user.username);
    const carolSocket = await connect(server, carol!.token);
    await ask(carolSocket, 'send_message', { chatId: carolChat, text: 'muted, so quiet' });
    await a.getByTestId('chat-item').filter({ hasText: 'muted, so quiet' }).waitFor();
    await openChat(a, 'Carol and me');
    const bobSocket = await connect(server, bob!.token);
    await ask(bobSocket, 'send_message', { chatId: bobChat, text: 'are you there?' });
    await expect.poll(() => a.title()).toBe('(1) Parley');
    await expect
      .poll(() => a.evaluate('alerts.shown'))
      .toEqual([{ title: bob!.user.username, body: `${bob!.user.username}: are you there?` }]);
    // A new message in the open chat is read out politely.
    await ask(carolSocket, 'send_message', { chatId: carolChat, text: 'hello from Carol' });
    await a.locator('.app > [aria-live=polite]', { hasText: `${carol!.user.username}: hello from Carol` }).waitFor();

    // The server serves the page at a chat's path to a browser (and nothing deeper); an API client gets the 404 envelope.
    const html = { accept: 'text/html,application/xhtml+xml' };
    const served = await a.request.get(`${server.url}/chats/${bobChat}`, { headers: html });
    expect(served.headers()['content-type']).toContain('text/html');
    expect((await a.request.get(`${server.url}/chats/${bobChat}/nothing`, { headers: html })).status()).toBe(404);
    const asApi = await a.request.get(`${server.url}/chats/${bobChat}`, { headers: { accept: 'application/json' } });
    expect([asApi.status(), (await asApi.json()) as unknown]).toEqual([
      404,
      { success: false, error: `Маршрут не найден: GET /chats/${bobChat}`, code: 'NOT_FOUND' },
    ]);
    // A link to a chat that is not the user's: a notice, the list, no crash.
    await a.goto(`${server.url}/chats/00000000-0000-4000-8000-000000000000`);
    await a.getByTestId('list-notice').getByText('not a member').waitFor();
    expect(path()).toBe('/');

    // A phone: the list and the conversation are two screens, Back returns.
    await a.setViewportSize({ width: 375, height: 700 });
    const app = a.locator('.app');
    expect(await app.getAttribute('data-screen')).toBe('list');
    await openChat(a, 'Carol and me');
    expect(await app.getAttribute('data-screen')).toBe('chat');
    await a.getByRole('button', { name: 'Back to chats' }).click();
    expect(await app.getAttribute('data-screen')).toBe('list');
    expect(path()).toBe('/');
    expect(await a.getByTestId('chat-list').isVisible()).toBe(true);

    // Start-up with the server unreachable: said so (not "Failed to fetch"), still signed in, and back by Retry.
    await a.route('**/users/me', (route) => route.abort('failed'));
    await a.reload();
    await a.getByTestId('startup-error').getByText('Cannot reach the server').waitFor();
    expect(await a.content()).not.toContain('Failed to fetch');
    await a.unroute('**/users/me');
    await a.getByTestId('startup-retry').click();
    await a.waitForSelector('[data-testid=connection][data-state=online]');
    // In Russian, the chat's own words are Russian too.
    await a.evaluate(`localStorage.setItem('parley.language', 'ru')`);
    await a.reload();
    await a.getByRole('listbox', { name: 'Чаты' }).waitFor();
    await openChat(a, 'Carol and me');
    await a.getByRole('textbox', { name: 'Сообщение' }).waitFor();
    // A token the server refuses (401) is what signs out.
    await a.evaluate(`localStorage.setItem('parley.session',
      JSON.stringify({ ...JSON.parse(localStorage.getItem('parley.session')), token: 'refused' }))`);
    await a.reload();
    await a.getByTestId('sign-in').waitFor();
    // Signing in with the server unreachable says so in the page's language (Russian by now).
    await a.route('**/auth/login', (route) => route.abort('failed'));
    await a.fill('[data-testid=login]', alice!.user.username);
    await a.fill('[data-testid=password]', alice!.password);
    await a.click('[data-testid=sign-in]');
    await a.getByText('Нет связи с сервером').waitFor();
    expect(await a.content()).not.toContain('Failed to fetch');
    await context.close();
  }, 60_000);

  it('unread: the chat opens at the first unread under a divider, only what was shown is read; jump to the bottom; badges in sync across tabs; day separators', async () => {
    const server = await startServer();
    servers.push(server);
    const [alice, bob] = await Promise.all([registerUser(server, 'alice'), registerUser(server, 'bob')]);
    const chatId = await createChat(server, alice, [bob]);
    const bobSocket = await connect(server, bob.token);
    await ask(bobSocket, 'send_message', { chatId, text: 'already read' });
    const read = await ask(bobSocket, 'send_message', { chatId, text: 'read too' });
    await ask(await connect(server, alice.token), 'mark_read', { chatId, messageId: read.message.id });
    const total = 60;
    for (let i = 0; i < total; i++) await ask(bobSocket, 'send_message', { chatId, text: `unread ${i}` });
    const [{ context, page: a }] = (await signedInPages(browser, server, [alice])) as [
      { context: BrowserContext; page: Page },
    ];
    const other = await secondWindow(context, server);
    const badge = (page: Page) => page.getByTestId('unread');
    expect(await badge(a).textContent()).toBe(String(total));
    expect(await a.title()).toBe(`(${total}) Parley`);

    await openChat(a, bob.user.username);
    const divider = a.getByTestId('unread-divider');
    await divider.waitFor();
    // Under the divider, in view: the first unread message; the newest one is not.
    expect(await divider.evaluate((node) => node.nextElementSibling?.textContent)).toContain('unread 0');
    await expect.poll(() => messageItem(a, 'unread 0').isVisible()).toBe(true);
    const inView = (text: string) =>
      messageItem(a, text).evaluate((node) => {
        const list = node.closest('ol')!.getBoundingClientRect();
        const box = node.getBoundingClientRect();
        return box.bottom > list.top && box.top < list.bottom;
      });
    expect(await inView('unread 0')).toBe(true);
    expect(await inView(`unread ${total - 1}`)).toBe(false);
    // What was shown is read, not the rest: the badge goes down, not away, on both tabs.
    await expect.poll(async () => Number(await badge(a).textContent())).toBeLessThan(total);
    const left = Number(await badge(a).textContent());
    expect(left).toBeGreaterThan(0);
    await expect.poll(async () => Number(await badge(other).textContent())).toBe(left);
    expect(await a.getByTestId('day-separator').first().textContent()).toBe('Today');

    // "Jump to the bottom" counts what is below; using it reads the rest, in this tab and the other.
    const jump = a.getByTestId('jump-bottom');
    expect(await jump.getAttribute('aria-label')).toMatch(/^Jump to the latest message \(\d+ new\)$/);
    await jump.click();
    await expect.poll(() => inView(`unread ${total - 1}`)).toBe(true);
    for (const page of [a, other]) await badge(page).waitFor({ state: 'detached' });
    await expect.poll(() => a.title()).toBe('Parley');
    // The divider is above the view now: "New messages ↑" goes back to it.
    await a.getByTestId('jump-unread').click();
    await expect.poll(() => inView('unread 0')).toBe(true);
    await a.getByTestId('jump-unread').waitFor({ state: 'hidden' });
    // Tomorrow, today's messages are "Yesterday's" (the heading is drawn again with the next message).
    await a.clock.setFixedTime(Date.now() + 86_400_000);
    await ask(bobSocket, 'send_message', { chatId, text: 'one more' });
    await a.getByTestId('day-separator').first().getByText('Yesterday').waitFor();
    await context.close();
  }, 60_000);

  it('loads older history when the conversation is scrolled to the top', async () => {
    const server = await startServer();
    servers.push(server);
    const alice = await registerUser(server, 'alice');
    const bob = await registerUser(server, 'bob');
    const chatId = await createChat(server, alice, [bob]);
    const socket = await connect(server, bob.token);
    const total = 75;
    let last = '';
    for (let i = 0; i < total; i++)
      last = (await ask(socket, 'send_message', { chatId, text: `history ${i}` })).message.id;
    // Read already: the chat opens at the bottom (an unread one opens at its first unread message).
    await ask(await connect(server, alice.token), 'mark_read', { chatId, messageId: last });

    const { context, page } = await openPage(browser, server);
    await signIn(page, alice.user.email, alice.password);
    await page.click('[data-testid=chat-item]');
    await waitForMessage(page, `history ${total - 1}`);
    expect((await messageTexts(page)).length).toBeLessThan(total);

    for (let round = 0; round < 10 && (await messageTexts(page)).length < total; round++) {
      await page.$eval('[data-testid=messages]', (list) => list.scrollTo(0, 0));
      await page.waitForTimeout(200);
    }
    expect(await messageTexts(page)).toEqual(Array.from({ length: total }, (_, i) => `history ${i}`));
    await context.close();
  }, 60_000);

  it('reconnects by itself after the server restarts and syncs what changed meanwhile; read ticks and a message written offline survive a reload', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-browser-'));
    dirs.push(dataDir);
    const env = { DATABASE_URL: undefined, DATA_DIR: dataDir };
    const first = await startServer(env);
    const alice = await registerUser(first, 'alice');
    const bob = await registerUser(first, 'bob');
    const chatId = await createChat(first, alice, [bob]);
    const bobBefore = await connect(first, bob.token);
    const toEdit = await ask(bobBefore, 'send_message', { chatId, text: 'bob wrote this first' });
    const toDelete = await ask(bobBefore, 'send_message', { chatId, text: 'bob will take this back' });

    const { context, page } = await openPage(browser, first);
    await signIn(page, alice.user.username, alice.password);
    await page.click('[data-testid=chat-item]');
    await sendInPage(page, 'before the restart');
    await waitForMessage(page, 'before the restart');
    expect(await messageItem(page, 'before the restart').locator('.status').textContent()).toBe('✓');

    await first.close();
    await page.waitForSelector('[data-testid=connection][data-state=offline]');
    // Written while the server is away: it shows at once as pending and goes out once back.
    await sendInPage(page, 'written while away');
    await page
      .locator('[data-testid=pending-message][data-state=sending]', { hasText: 'written while away' })
      .waitFor();

    // Same port, same data: the page was never reloaded. While it is away, Bob edits, deletes,
    // sends and reads.
    const second = await startServer({ ...env, PORT: String(first.port) });
    servers.push(second);
    const bobSocket = await connect(second, bob.token);
    expect(
      await ask(bobSocket, 'edit_message', {
        messageId: toEdit.message.id,
        text: 'bob edited this while you were away',
      }),
    ).toMatchObject({ success: true });
    expect(await ask(bobSocket, 'delete_message', { messageId: toDelete.message.id })).toMatchObject({ success: true });
    const missed = await ask(bobSocket, 'send_message', { chatId, text: 'sent while you were away' });
    expect(missed.success).toBe(true);
    expect(await ask(bobSocket, 'mark_read', { chatId, messageId: missed.message.id })).toMatchObject({
      success: true,
    });

    await page.waitForSelector('[data-testid=connection][data-state=online]', { timeout: 15_000 });
    await waitForMessage(page, 'sent while you were away');
    await waitForMessage(page, 'bob edited this while you were away');
    await waitForMessage(page, 'written while away');
    const caughtUp = [
      'bob edited this while you were away',
      'message deleted',
      'before the restart',
      'sent while you were away',
      'written while away',
    ];
    expect(await messageTexts(page)).toEqual(caughtUp);
    expect(await page.content()).not.toContain('bob will take this back');
    await messageItem(page, 'before the restart').locator('.status', { hasText: '✓✓' }).waitFor();

    // Live again in both directions.
    await ask(bobSocket, 'join_chat', { chatId });
    const received = new Promise<{ text: string }>((resolve) => bobSocket.once('new_message', resolve));
    await sendInPage(page, 'after the restart');
    expect((await received).text).toBe('after the restart');
    await ask(bobSocket, 'send_message', { chatId, text: 'welcome back' });
    await waitForMessage(page, 'welcome back');
    expect(await messageTexts(page)).toEqual([...caughtUp, 'after the restart', 'welcome back']);

    // A reload knows how far Bob has read from the chat list alone.
    await page.reload();
    await page.waitForSelector('[data-testid=connection][data-state=online]');
    await page.click('[data-testid=chat-item]');
    await waitForMessage(page, 'welcome back');
    await messageItem(page, 'before the restart').locator('.status', { hasText: '✓✓' }).waitFor();
    expect(await messageItem(page, 'after the restart').locator('.status').textContent()).toBe('✓');

    // Written while the server is away, kept across a reload that fails for want of a server (the
    // SDK's outbox is in IndexedDB): pending once the chat shows again, then stored exactly once.
    // From here the page's socket goes through a route that, while `holdSends`, drops every send,
    // so that the message is seen pending after the reload before it goes out.
    let holdSends = true;
    let socketRoute: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/socket\.io\//, (route) => {
      socketRoute = route;
      const server = route.connectToServer();
      route.onMessage((frame) => {
        if (!holdSends || !String(frame).includes('"send_message"')) server.send(frame);
      });
    });
    await second.close();
    await page.waitForSelector('[data-testid=connection][data-state=offline]');
    await sendInPage(page, 'written before a reload');
    const pending = page.locator('li.message[data-state=sending]', { hasText: 'written before a reload' });
    await pending.waitFor();
    await expect(page.reload()).rejects.toThrow();
    const third = await startServer({ ...env, PORT: String(first.port) });
    servers.push(third);
    // The tab's next load (the reload failed) once the server is back, at the chat's address.
    await page.goto(`${third.url}/chats/${chatId}`);
    await page.waitForSelector('[data-testid=connection][data-state=online]');
    await pending.waitFor();
    expect(await messageTexts(page)).not.toContain('written before a reload');
    // Sends let through, the connection dropped: the page's next connection sends it.
    holdSends = false;
    await socketRoute!.close();
    await waitForMessage(page, 'written before a reload', 15_000);
    await pending.waitFor({ state: 'detached' });
    const bobAgain = await connect(third, bob.token);
    const { messages } = await ask(bobAgain, 'get_chat_messages', { chatId, limit: 100 });
    expect(messages.filter((m: { text: string }) => m.text === 'written before a reload')).toHaveLength(1);
    await context.close();
  }, 60_000);
});

/**
 * docs/screenshot.png (README), one image: the two chat windows at desktop size, alice's light and
 * bob's dark, and below them the same two at phone size in the other colour scheme.
 */
async function saveScreenshot(browser: Browser, left: Page, right: Page): Promise<void> {
  const shoot = async (scheme: ['light' | 'dark', 'light' | 'dark']) => {
    await left.emulateMedia({ colorScheme: scheme[0] });
    await right.emulateMedia({ colorScheme: scheme[1] });
    return Promise.all([left.screenshot(), right.screenshot()]);
  };
  const desktop = await shoot(['light', 'dark']);
  await Promise.all([left.setViewportSize(PHONE_VIEWPORT), right.setViewportSize(PHONE_VIEWPORT)]);
  const phone = await shoot(['dark', 'light']);
  const context = await browser.newContext({
    viewport: { width: VIEWPORT.width * 2 + 24, height: VIEWPORT.height + PHONE_VIEWPORT.height + 24 },
  });
  const page = await context.newPage();
  const img = (png: Buffer) => `<img src="data:image/png;base64,${png.toString('base64')}">`;
  await page.setContent(
    '<body style="margin:0;padding:8px;display:flex;flex-wrap:wrap;gap:8px;align-content:start;background:#9aa3b5">' +
      `${[...desktop, ...phone].map(img).join('')}</body>`,
  );
  await page.screenshot({ path: SCREENSHOT });
  await context.close();
}
