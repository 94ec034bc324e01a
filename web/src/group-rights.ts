import {
  canAddMembers,
  canManageGroup,
  canRemoveMember,
  canSetRoles,
  type ChatSummary,
} from '../../src/protocol/index.js';
import { memberRole } from './chat-summary.js';

/**
 * Which group controls the page offers to whom: the server's own rules (src/protocol/group-rights.ts)
 * over the roles the page knows. Only offers: the server checks every change under the chat's
 * lock and its refusal is shown as it comes, so a control shown on a stale role costs one refused
 * request, never a wrong change.
 */

/** Adding people. */
export function mayAddMembers(chat: ChatSummary, meId: string): boolean {
  const mine = memberRole(chat, meId);
  return mine !== undefined && canAddMembers(mine, chat.membersCanAdd === true);
}

/** Renaming the group and changing its settings. */
export function mayManageGroup(chat: ChatSummary, meId: string): boolean {
  const mine = memberRole(chat, meId);
  return mine !== undefined && canManageGroup(mine);
}

/** Removing `userId`, someone else. */
export function mayRemoveMember(chat: ChatSummary, meId: string, userId: string): boolean {
  const mine = memberRole(chat, meId);
  const theirs = memberRole(chat, userId);
  return userId !== meId && mine !== undefined && theirs !== undefined && canRemoveMember(mine, theirs);
}

/** Setting someone's role, handing ownership over included. */
export function maySetRoles(chat: ChatSummary, meId: string): boolean {
  const mine = memberRole(chat, meId);
  return mine !== undefined && canSetRoles(mine);
}
