import { el } from './dom.js';
import { formatDay, t } from './i18n/index.js';

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Consecutive messages of one sender this close together are shown as one group. */
const GROUP_GAP_MS = 5 * 60_000;

/**
 * Whether `message` continues the group of `previous` (the row just above it, when that row is a
 * message): same sender, minutes apart. Its name and avatar are then not repeated.
 */
export function continuesGroup(
  previous: { sender: string; createdAt: string } | undefined,
  message: { sender: string; createdAt: string },
): boolean {
  return (
    previous !== undefined &&
    previous.sender === message.sender &&
    Date.parse(message.createdAt) - Date.parse(previous.createdAt) < GROUP_GAP_MS
  );
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
