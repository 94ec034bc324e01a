import { el } from './dom.js';
import { formatDay, t } from './i18n/index.js';

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "Today", "Yesterday", or the day in full, in the page's language and the browser's time zone. */
export function dayLabel(day: Date, now = new Date()): string {
  if (sameDay(day, now)) return t('day.today');
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(day, yesterday)) return t('day.yesterday');
  return formatDay(day);
}

/** The heading between two days' messages. */
export function daySeparator(day: Date): HTMLElement {
  return el(
    'li',
    { class: 'day-separator', attrs: { 'data-testid': 'day-separator' } },
    el('time', { text: dayLabel(day), attrs: { datetime: localDate(day) } }),
  );
}

/** YYYY-MM-DD of the day where the user is (toISOString would give the UTC day). */
function localDate(day: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day.getFullYear()}-${two(day.getMonth() + 1)}-${two(day.getDate())}`;
}
