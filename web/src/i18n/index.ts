/**
 * The page's language: English or Russian, from the browser's languages unless the user picked one
 * (kept in localStorage). Strings live in one module per part of the page (strings-*.ts), each an
 * `en` and a `ru` table the type checker holds to the same keys (table.ts). Plurals and dates use the
 * browser's own Intl (plural categories differ: Russian has one/few/many), so no library is needed
 * for what is a lookup.
 */
import { chatStrings } from './strings-chat.js';
import { commonStrings } from './strings-common.js';
import { panelStrings } from './strings-panels.js';
import type { Text } from './table.js';

export type Language = 'en' | 'ru';
export const LANGUAGES: readonly Language[] = ['en', 'ru'];

const tables = {
  en: { ...commonStrings.en, ...chatStrings.en, ...panelStrings.en },
  ru: { ...commonStrings.ru, ...chatStrings.ru, ...panelStrings.ru },
};
export type StringKey = keyof (typeof tables)['en'];

const STORAGE_KEY = 'parley.language';

function detect(): Language {
  const chosen = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (chosen === 'en' || chosen === 'ru') return chosen;
  for (const tag of globalThis.navigator?.languages ?? []) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ru') return 'ru';
    if (base === 'en') return 'en';
  }
  return 'en';
}

let current: Language = detect();
let plurals = new Intl.PluralRules(current);

export function language(): Language {
  return current;
}

/** Keeps the choice for the next visits and sets `<html lang>`; the caller re-renders (or reloads). */
export function setLanguage(next: Language): void {
  current = next;
  plurals = new Intl.PluralRules(next);
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  if (typeof document !== 'undefined') document.documentElement.lang = next;
}

/**
 * The string `key` in the page's language, with `{name}` placeholders filled from `params`; a
 * numeric `count` among them picks the plural form.
 */
export function t(key: StringKey, params: Record<string, string | number> = {}): string {
  const text: Text = (tables[current] as Record<StringKey, Text>)[key];
  const template =
    typeof text === 'string'
      ? text
      : ((typeof params.count === 'number' ? text[plurals.select(params.count)] : undefined) ?? text.other);
  return template.replace(/\{(\w+)\}/g, (whole: string, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}

/** The error codes a server answer carries (CONTRACT.md §3 "Responses", and HTTP's own). */
const ERROR_KEYS: Record<string, StringKey> = {
  VALIDATION_ERROR: 'error.VALIDATION_ERROR',
  UNAUTHORIZED: 'error.UNAUTHORIZED',
  FORBIDDEN: 'error.FORBIDDEN',
  BANNED: 'error.BANNED',
  NOT_FOUND: 'error.NOT_FOUND',
  CONFLICT: 'error.CONFLICT',
  RATE_LIMITED: 'error.RATE_LIMITED',
  UNAVAILABLE: 'error.UNAVAILABLE',
  INTERNAL: 'error.INTERNAL',
  OFFLINE: 'error.OFFLINE',
  TIMEOUT: 'error.TIMEOUT',
};

/**
 * What to show for a failed request, in the page's language. The server's texts are Russian (the
 * seed's), so a Russian page shows them as they are (they are more specific than the code); an
 * English page shows the code's text. `OFFLINE` (the server could not be reached) and `TIMEOUT`
 * (no answer in time) are the client's own codes.
 */
export function errorText(failure: { code?: string; error?: string }): string {
  if (current === 'ru' && failure.error && failure.code !== 'OFFLINE' && failure.code !== 'TIMEOUT')
    return failure.error;
  return t(ERROR_KEYS[failure.code ?? ''] ?? 'error.INTERNAL');
}

/** A time of day ("14:05"), a day ("Monday, 3 December 2026"), and both (a message's full date). */
export function formatTime(date: Date): string {
  return date.toLocaleTimeString(current, { hour: '2-digit', minute: '2-digit' });
}
export function formatDay(date: Date): string {
  return date.toLocaleDateString(current, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}
export function formatFull(date: Date): string {
  return date.toLocaleString(current, { dateStyle: 'full', timeStyle: 'short' });
}

if (typeof document !== 'undefined') document.documentElement.lang = current;
