import type { ChatSummary, MemberRole } from '../../src/protocol/index.js';
import { memberRole } from './chat-summary.js';

/**
 * Which group controls the page offers to whom (README "Group roles"). Only offers: the server
 * checks every change under the chat's lock (src/chat/group-rules.ts) and its refusal is shown as
 * it comes, so a control shown on a stale role costs one refused request, never a wrong change.
 */
const isAdmin = (role: MemberRole | undefined) => role === 'owner' || role === 'admin';

/** Adding people: admins and the owner; plain members while the group lets them. */
export const mayAddMembers = (chat: ChatSummary, meId: string): boolean =>
  isAdmin(memberRole(chat, meId)) || chat.membersCanAdd === true;

/** Renaming the group and changing its settings. */
export const mayManageGroup = (chat: ChatSummary, meId: string): boolean => isAdmin(memberRole(chat, meId));

/** Removing `userId`: the owner removes anyone else; an admin, plain members only. */
export function mayRemoveMember(chat: ChatSummary, meId: string, userId: string): boolean {
  if (userId === meId) return false;
  const mine = memberRole(chat, meId);
  const theirs = memberRole(chat, userId);
  return theirs !== 'owner' && (mine === 'owner' || (mine === 'admin' && theirs === 'member'));
}

/** Setting someone's role, handing ownership over included: the owner, for another member. */
export const maySetRoles = (chat: ChatSummary, meId: string): boolean => memberRole(chat, meId) === 'owner';
