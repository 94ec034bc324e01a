import { el } from './dom.js';

/**
 * Web addresses in a message's text: `http://` and `https://` URLs and `www.` names, not inside a
 * word, a path or an email address. Nothing else becomes a link (`javascript:`, `data:`, `mailto:`
 * stay text). A small scanner rather than a library: the rule is this one line, and the links are
 * built as DOM nodes by the caller's `el`, never as HTML.
 */
const LINK = /(?<![\p{L}\p{N}_/@.-])(?:https?:\/\/|www\.)[^\s<>"]+/giu;
/** Punctuation that ends a sentence rather than the address ("see https://x.org/a."). */
const TRAILING = /[.,;:!?'"»›”’]/u;

/** The address as written, without the punctuation that follows it in the sentence. */
function trimmed(found: string): string {
  let end = found.length;
  for (;;) {
    const last = found[end - 1];
    if (last === undefined) return '';
    const open = found.slice(0, end).split('(').length - 1;
    const close = found.slice(0, end).split(')').length - 1;
    // A ")" closes the sentence's parenthesis unless the address opened one ("…/Foo_(bar)").
    if (TRAILING.test(last) || (last === ')' && close > open)) end--;
    else return found.slice(0, end);
  }
}

/** The target of a found address, or undefined when it is not a usable http(s) URL. */
function hrefOf(text: string): string | undefined {
  try {
    const url = new URL(/^www\./iu.test(text) ? `https://${text}` : text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.') ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `text` as nodes: each address an `<a>` that opens in a new tab without giving that tab this
 * page (`noopener`) or the address it came from (`noreferrer`); the text between them as `plain`
 * renders it (mentions, or text nodes).
 */
export function linkNodes(text: string, plain: (text: string) => Node[]): Node[] {
  const nodes: Node[] = [];
  let from = 0;
  for (const match of text.matchAll(LINK)) {
    const shown = trimmed(match[0]);
    const href = hrefOf(shown);
    if (!href) continue;
    if (match.index > from) nodes.push(...plain(text.slice(from, match.index)));
    nodes.push(
      el('a', {
        text: shown,
        attrs: { href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'message-link' },
      }),
    );
    from = match.index + shown.length;
  }
  if (from < text.length) nodes.push(...plain(text.slice(from)));
  return nodes;
}
