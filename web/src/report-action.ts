import type { Message } from '../../src/protocol/index.js';
import { request, type ParleySocket } from './connection.js';
import { t } from './i18n/index.js';

/**
 * "Report" on someone else's message (README "Blocking and reporting"): asks for the reason and
 * sends `report_message`. Resolves true once the moderators have it, false when the user gave no
 * reason; rejects with the server's refusal (a reason too long among them: it is not cut here).
 * Reporting the same message again answers success and stores nothing.
 */
export async function reportMessage(socket: ParleySocket, message: Message): Promise<boolean> {
  const reason = prompt(t('report.reason', { name: message.user.username }));
  if (!reason?.trim()) return false;
  await request(socket, 'report_message', { messageId: message.id, reason: reason.trim() });
  return true;
}
