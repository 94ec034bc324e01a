import type { ModerationService } from '../moderation/moderation-service.js';
import { reportMessageSchema } from '../protocol/schemas.js';
import type { EventTable } from './event-table.js';

/** `report_message` (README "Blocking and reporting"): as `POST /messages/:id/report`. */
export function defineReportEvents(events: EventTable, { moderation }: { moderation: ModerationService }): void {
  events.define('report_message', reportMessageSchema, async ({ user }, payload) => {
    await moderation.report(user.id, payload);
    return {};
  });
}
