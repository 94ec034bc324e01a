import { REPLY_QUOTE_LENGTH, type Message, type ReplyQuote } from '../../src/protocol/types.js';
import { renderAvatar } from './avatar.js';
import { el } from './dom.js';
import { formatFull, formatTime, t } from './i18n/index.js';
import { linkNodes } from './linkify.js';

/** What the author can do to their own message; the conversation carries it out. */
export interface OwnMessageActions {
  edit(message: Message): void;
  delete(message: Message): void;
}

/** Starts a reply to a message (anyone's, while it is not deleted). */
export type ReplyAction = (message: Message) => void;

/**
 * What a member can do to a live message: react (adding or taking back an emoji) and report
 * someone else's message to the moderators; pin or unpin, and delete someone else's message, only
 * when given (README "Group roles": in a group, its admins and owner).
 */
export interface MarkActions {
  react(message: Message, emoji: string, add: boolean): void;
  report(message: Message): void;
  pin?: (message: Message, pinned: boolean) => void;
  deleteOthers?: (message: Message) => void;
}

/** The emoji the "react" palette offers (any other one a member reacted with shows as a chip too). */
export const REACTION_PALETTE = ['👍', '❤️', '😂', '😮', '😢', '🎉'] as const;

/** How a message sits among its neighbours; the conversation decides. */
export interface MessageLayout {
  /**
   * The same sender's message just before it, moments earlier: the name and avatar are not
   * repeated (the name stays for screen readers, which read each message on its own).
   */
  continued?: boolean;
}

/**
 * When: the time of day, with the full date as the tooltip and, in place of the short time, for
 * screen readers (a `title` alone is not read by all of them).
 */
function timeOf(iso: string): HTMLElement {
  const date = new Date(iso);
  return el(
    'time',
    { attrs: { datetime: iso, title: formatFull(date) } },
    el('span', { text: formatTime(date), attrs: { 'aria-hidden': 'true' } }),
    el('span', { class: 'visually-hidden', text: formatFull(date) }),
  );
}

/**
 * One message of the conversation. `own` is given for the signed-in user's messages: they get the
 * read status and, while not deleted, "edit" and "delete" (the server refuses both on anyone
 * else's message, so they are never offered there). Every live message offers "reply", and
 * someone else's "report" (with `marks`). A reply shows its quote above its text. A tombstone
 * keeps its place, without its text. Others' messages show the sender's avatar and name; one's
 * own show neither (the name is kept for screen readers).
 */
export function renderMessage(
  message: Message,
  reply: ReplyAction,
  own?: OwnMessageActions,
  marks?: MarkActions,
  mentioned?: MentionedNames,
  layout: MessageLayout = {},
): HTMLElement {
  const meta = el('span', { class: 'meta' }, timeOf(message.createdAt));
  if (message.editedAt && !message.deletedAt) {
    meta.append(
      el('span', {
        text: `· ${t('message.edited')}`,
        attrs: {
          'data-testid': 'edited',
          title: t('message.editedAt', { time: formatFull(new Date(message.editedAt)) }),
        },
      }),
    );
  }
  if (message.pinnedAt && !message.deletedAt)
    meta.append(
      el(
        'span',
        { class: 'pinned-mark', attrs: { 'data-testid': 'pinned-mark', title: t('message.pinned') } },
        el('span', { text: '📌', attrs: { 'aria-hidden': 'true' } }),
        el('span', { class: 'visually-hidden', text: t('message.pinned') }),
      ),
    );
  if (!message.deletedAt) meta.append(actionButton('reply', () => reply(message)));
  const palette = marks && !message.deletedAt ? renderPalette(message, marks) : undefined;
  if (marks && palette && !message.deletedAt) {
    const react = actionButton('react', () => {
      palette.hidden = !palette.hidden;
      react.setAttribute('aria-expanded', String(!palette.hidden));
      if (!palette.hidden) palette.querySelector('button')?.focus();
    });
    react.setAttribute('aria-expanded', 'false');
    meta.append(react);
    const pinned = Boolean(message.pinnedAt);
    if (marks.pin) meta.append(actionButton(pinned ? 'unpin' : 'pin', () => marks.pin?.(message, !pinned)));
  }
  if (marks && !own && !message.deletedAt) {
    const report = actionButton('report', () => marks.report(message));
    report.setAttribute('aria-label', t('message.reportLabel', { name: message.user.username }));
    meta.append(report);
    if (marks.deleteOthers) meta.append(actionButton('delete', () => marks.deleteOthers?.(message)));
  }
  if (own && !message.deletedAt)
    meta.append(
      actionButton('edit', () => own.edit(message)),
      actionButton('delete', () => own.delete(message)),
    );
  if (own) meta.append(el('span', { class: 'status', text: '✓' }));
  const classes = ['message', own && 'mine', message.deletedAt && 'deleted', layout.continued && 'continued'];
  const item = el('li', { class: classes.filter(Boolean).join(' '), attrs: { 'data-id': message.id } });
  if (!own && !layout.continued) item.append(renderAvatar(message.user));
  item.append(
    el('span', {
      class: own || layout.continued ? 'author visually-hidden' : 'author',
      text: message.user.username,
      attrs: { 'data-testid': 'author' },
    }),
  );
  if (message.replyTo) item.append(renderQuote(message.replyTo));
  item.append(
    // Text nodes, never innerHTML: a message is text, whatever it contains.
    el(
      'span',
      { class: 'text', attrs: { 'data-testid': 'message-text' } },
      ...(message.deletedAt
        ? [document.createTextNode(t('message.deleted'))]
        : linkNodes(message.text, (text) => textWithMentions(text, mentioned))),
    ),
    meta,
  );
  if (marks && !message.deletedAt && message.reactions?.length) item.append(renderReactions(message, marks));
  if (palette) item.append(palette);
  return item;
}

/**
 * The members a message mentions (`message.mentions`) by lower-case username, and which of them is
 * the signed-in user, for highlighting.
 */
export interface MentionedNames {
  names: ReadonlySet<string>;
  me: string;
}

/**
 * `@name` as the server recognises a mention (README "Mentions"): not after a username character
 * or '@', the name running to the first character that is not one of a username's.
 */
const MENTION = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}_.-]+)/gu;

/**
 * The text as text nodes, with each `@name` of a mentioned member in a `<mark>` (its own text node
 * inside): only the names the server resolved are marked, so the highlight shows who was notified.
 */
export function textWithMentions(text: string, mentioned: MentionedNames | undefined): Node[] {
  if (!mentioned || mentioned.names.size === 0) return [document.createTextNode(text)];
  const nodes: Node[] = [];
  let from = 0;
  for (const match of text.matchAll(MENTION)) {
    const found = match[1]!;
    const name = [found, found.replace(/[.-]+$/u, '')].find((n) => mentioned.names.has(n.toLowerCase()));
    if (!name) continue;
    const start = match.index;
    if (start > from) nodes.push(document.createTextNode(text.slice(from, start)));
    const isMe = name.toLowerCase() === mentioned.me;
    nodes.push(
      el('mark', { class: `mention${isMe ? ' me' : ''}`, attrs: { 'data-testid': 'mention' }, text: `@${name}` }),
    );
    from = start + 1 + name.length;
  }
  if (from < text.length) nodes.push(document.createTextNode(text.slice(from)));
  return nodes;
}

/**
 * The message's reactions as chips: each a toggle button (pressed when it is yours) that adds or
 * takes back your reaction with that emoji.
 */
function renderReactions(message: Message, marks: MarkActions): HTMLElement {
  const chips = (message.reactions ?? []).map(({ emoji, count, me }) => {
    const chip = el('button', {
      class: `reaction${me ? ' me' : ''}`,
      text: `${emoji} ${count}`,
      attrs: {
        type: 'button',
        'data-testid': 'reaction',
        'data-emoji': emoji,
        'aria-pressed': String(Boolean(me)),
        'aria-label': t(me ? 'message.reactionsYours' : 'message.reactions', { emoji, count }),
      },
    });
    chip.addEventListener('click', () => marks.react(message, emoji, !me));
    return chip;
  });
  return el('div', { class: 'reactions', attrs: { 'data-testid': 'reactions' } }, ...chips);
}

/** The fixed palette "react" opens: one labelled button per emoji; hidden until opened. */
function renderPalette(message: Message, marks: MarkActions): HTMLElement {
  const buttons = REACTION_PALETTE.map((emoji) => {
    const mine = message.reactions?.some((r) => r.emoji === emoji && r.me) ?? false;
    const button = el('button', {
      class: 'link palette-emoji',
      text: emoji,
      attrs: { type: 'button', 'data-testid': 'palette-emoji', 'aria-label': t('message.reactWith', { emoji }) },
    });
    button.addEventListener('click', () => {
      palette.hidden = true;
      marks.react(message, emoji, !mine);
    });
    return button;
  });
  const palette = el(
    'div',
    {
      class: 'palette',
      attrs: { 'data-testid': 'reaction-palette', role: 'group', 'aria-label': t('message.palette') },
    },
    ...buttons,
  );
  palette.hidden = true;
  return palette;
}

/** The replied-to message as the server quotes it now: its author and text, or that it was deleted. */
export function renderQuote(quote: ReplyQuote): HTMLElement {
  return el(
    'blockquote',
    { class: `reply-quote${quote.deletedAt ? ' deleted' : ''}`, attrs: { 'data-testid': 'reply-quote' } },
    el('span', { class: 'author', text: quote.user.username }),
    el('span', { class: 'text', text: quote.deletedAt ? t('message.deleted') : quote.text }),
  );
}

/**
 * The quote of `target` in its replies, as the server would give it now: for an edit or deletion
 * that arrives as an event, so that the replies the page holds need not be read again.
 */
export function quoteOf(target: Message): ReplyQuote {
  const quote: ReplyQuote = {
    id: target.id,
    text: Array.from(target.text).slice(0, REPLY_QUOTE_LENGTH).join(''),
    user: target.user,
  };
  if (target.deletedAt) quote.deletedAt = target.deletedAt;
  return quote;
}

function actionButton(
  action: 'reply' | 'edit' | 'delete' | 'react' | 'pin' | 'unpin' | 'report',
  run: () => void,
): HTMLElement {
  const button = el('button', {
    class: 'link',
    text: t(`action.${action}`),
    attrs: { type: 'button', 'data-testid': `${action}-message` },
  });
  button.addEventListener('click', run);
  return button;
}
