import type { PublicUser } from '../../src/protocol/index.js';
import { el } from './dom.js';

/** How many avatar colours style.css defines (`.avatar.hue-0` … `hue-7`, each AA with white). */
const HUES = 8;

/** Up to two initials: the first letters of the username's first two words ("mary_ann" → "MA"). */
export function initials(username: string): string {
  const words = username.split(/[\s._-]+/u).filter((word) => word.length > 0);
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0] ?? '');
  return letters.join('').toLocaleUpperCase() || '?';
}

/** A stable colour per user (FNV-1a over the id): the same person looks the same on every page. */
function hue(userId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) hash = Math.imul(hash ^ userId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % HUES;
}

/**
 * The user's initials in a coloured circle. Hidden from assistive technology: the name is shown
 * (or read) beside it, and the initials would only repeat it. The colour is a class, not a style
 * attribute: the Content-Security-Policy allows no inline style.
 */
export function renderAvatar(user: Pick<PublicUser, 'id' | 'username'>): HTMLElement {
  return el('span', {
    class: `avatar hue-${hue(user.id)}`,
    text: initials(user.username),
    attrs: { 'aria-hidden': 'true', 'data-testid': 'avatar' },
  });
}
