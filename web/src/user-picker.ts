import type { PublicUser } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';

const SEARCH_DELAY_MS = 250;

export interface UserPicker {
  /** The search box and the list of matches, in that order, for the owner's form. */
  readonly elements: readonly HTMLElement[];
  /** Ids of the ticked users. */
  pickedIds(): string[];
  /** Unticks everyone and empties the search. */
  reset(): void;
}

/**
 * Search users by the start of their username, or their whole email (GET /users?search=), and tick some. Ticked
 * users stay listed above the matches while the search changes, so a pick survives a new search.
 * `excluded` names users who must not be offered (e.g. a group's current members); the server
 * already leaves out the caller.
 */
export function userPicker(
  token: string,
  showError: (message: string) => void,
  excluded: () => ReadonlySet<string> = () => new Set(),
): UserPicker {
  const search = el('input', {
    attrs: {
      type: 'search',
      placeholder: t('picker.placeholder'),
      'aria-label': t('picker.search'),
      'data-testid': 'user-search',
    },
  });
  const results = el('ul', {
    class: 'search-results',
    attrs: { 'data-testid': 'search-results', 'aria-label': t('picker.results') },
  });
  const picked = new Map<string, PublicUser>();

  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void find(search.value.trim()), SEARCH_DELAY_MS);
  });

  async function find(term: string): Promise<void> {
    showError('');
    if (!term) return results.replaceChildren(...pickedItems());
    try {
      const { users } = await httpApi.searchUsers(token, term);
      const skip = excluded();
      const found = users.filter((u) => !picked.has(u.id) && !skip.has(u.id));
      results.replaceChildren(...pickedItems(), ...found.map((u) => userItem(u, false)));
    } catch (e) {
      showError(failureText(e));
    }
  }

  const pickedItems = () => [...picked.values()].map((u) => userItem(u, true));

  function userItem(user: PublicUser, checked: boolean): HTMLElement {
    const box = el('input', { attrs: { type: 'checkbox' } });
    box.checked = checked;
    box.addEventListener('change', () => {
      if (box.checked) picked.set(user.id, user);
      else picked.delete(user.id);
    });
    return el(
      'li',
      {},
      el('label', { attrs: { 'data-username': user.username } }, box, el('span', { text: user.username })),
    );
  }

  return {
    elements: [search, results],
    pickedIds: () => [...picked.keys()],
    reset() {
      clearTimeout(timer);
      picked.clear();
      search.value = '';
      results.replaceChildren();
    },
  };
}
