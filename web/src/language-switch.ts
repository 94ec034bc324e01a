import { el } from './dom.js';
import { language, LANGUAGES, setLanguage, t, type Language } from './i18n/index.js';

/**
 * The page's language as a labelled <select> (English / Русский). A choice is kept and the page
 * reloaded: every part of the page reads its strings when it is built, so a reload is the one way
 * to redraw all of it, and it keeps the session (localStorage).
 */
export function languageSwitch(): HTMLElement {
  const select = el(
    'select',
    { attrs: { 'data-testid': 'language' } },
    ...LANGUAGES.map((code) => {
      const option = el('option', { text: t(`language.${code}`), attrs: { value: code, lang: code } });
      option.selected = code === language();
      return option;
    }),
  );
  select.addEventListener('change', () => {
    setLanguage(select.value as Language);
    location.reload();
  });
  return el('label', { class: 'language-switch' }, el('span', { text: t('language.label') }), select);
}
