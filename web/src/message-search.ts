import type { SearchHit, SearchPage, SearchSnippet } from '../../src/protocol/index.js';
import { request, type ParleySocket } from './connection.js';
import { el } from './dom.js';
import { failureText } from './failure.js';
import { language, t } from './i18n/index.js';

/**
 * The snippet as DOM: its text as text nodes, each highlighted range (UTF-16 indices, as the
 * server sends them) wrapped in <mark>. Never parsed as HTML.
 */
export function snippetNodes({ text, highlights }: SearchSnippet): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const [start, end] of highlights) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    nodes.push(el('mark', { text: text.slice(start, end) }));
    at = end;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

/**
 * "Search messages": a labelled search box over the user's chats (search_messages), the hits
 * newest first with their chat's title and highlighted snippet, and "More results" while there
 * are more. Each hit is a button: clicking it (or Enter / Space on it) opens its chat.
 */
export function messageSearchPanel(
  socket: ParleySocket,
  titleOf: (hit: SearchHit) => string,
  openChat: (chatId: string) => void,
): HTMLElement {
  const input = el('input', {
    attrs: {
      id: 'message-search',
      type: 'search',
      placeholder: t('search.placeholder'),
      maxlength: '200',
      'data-testid': 'search-input',
    },
  });
  const label = el('label', { text: t('search.label'), attrs: { for: 'message-search' } });
  const submit = el('button', { text: t('search.submit'), attrs: { type: 'submit', 'data-testid': 'search-submit' } });
  const status = el('p', { class: 'hint', attrs: { 'data-testid': 'search-status', 'aria-live': 'polite' } });
  const results = el('ul', {
    class: 'message-hits',
    attrs: { 'data-testid': 'message-hits', 'aria-label': t('search.results') },
  });
  const more = el('button', { text: t('search.more'), attrs: { type: 'button', 'data-testid': 'search-more' } });
  more.hidden = true;

  let query = '';
  let nextBefore: string | null = null;
  /** Bumped by each new search: the answer of an older one is dropped. */
  let generation = 0;

  async function run(fresh: boolean): Promise<void> {
    if (fresh) {
      query = input.value.trim();
      nextBefore = null;
      results.replaceChildren();
      more.hidden = true;
      if (!query) {
        status.textContent = '';
        return;
      }
    }
    const mine = ++generation;
    status.textContent = t('search.searching');
    try {
      const page: SearchPage = await request(socket, 'search_messages', {
        query,
        ...(nextBefore ? { before: nextBefore } : {}),
      });
      if (mine !== generation) return;
      results.append(...page.hits.map(hitItem));
      nextBefore = page.nextBefore;
      more.hidden = !page.hasMore;
      const shown = results.childElementCount;
      status.textContent =
        shown === 0 ? t('search.nothing') : t(page.hasMore ? 'search.foundMore' : 'search.found', { count: shown });
    } catch (error) {
      if (mine === generation) status.textContent = failureText(error);
    }
  }

  function hitItem(hit: SearchHit): HTMLElement {
    const open = el(
      'button',
      {
        class: 'search-hit',
        attrs: { type: 'button', 'data-testid': 'search-hit', 'data-chat-id': hit.chat.id },
      },
      el('span', { class: 'chat-title', text: titleOf(hit) }),
      el('span', {
        class: 'search-meta',
        text: `${hit.message.user.username} · ${new Date(hit.message.createdAt).toLocaleDateString(language(), { dateStyle: 'medium' })}`,
      }),
      el('span', { class: 'snippet', attrs: { 'data-testid': 'search-snippet' } }, ...snippetNodes(hit.snippet)),
    );
    open.addEventListener('click', () => openChat(hit.chat.id));
    return el('li', {}, open);
  }

  const form = el('form', { class: 'message-search', attrs: { role: 'search' } }, label, input, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(true);
  });
  more.addEventListener('click', () => void run(false));
  return el('section', { class: 'search-panel' }, form, status, results, more);
}
