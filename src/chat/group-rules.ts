import { AppError, TEXTS, forbiddenChat } from '../errors.js';
import { canAddMembers, canManageGroup, canRemoveMember, canSetRoles, isGroupAdmin } from '../protocol/group-rights.js';
import type { MemberRole } from '../protocol/types.js';
import type { GroupCheck, GroupState } from '../store/groups.js';

/**
 * Who may change a group (README "Group roles"), as checks over the group's state that the store
 * runs under the chat's lock (GroupStore). Refusals come in one order: a chat the caller is not in
 * (or that does not exist) first, exactly as for every other event; then a direct chat, whose pair
 * is fixed; then the caller's role; then the member acted on.
 */

/** The caller's role in a group; `directText` refuses a direct chat. */
function groupMember(state: GroupState, directText: string = TEXTS.directChatMembers): MemberRole {
  if (state.actorRole === null) throw forbiddenChat();
  if (state.direct) throw new AppError('FORBIDDEN', directText);
  return state.actorRole;
}

function targetMember(state: GroupState): MemberRole {
  if (!state.targetRole) throw new AppError('NOT_FOUND', TEXTS.notChatMember, 'userId');
  return state.targetRole;
}

/** Adding people: admins and the owner; plain members while the group lets them (membersCanAdd). */
export const mayAddMembers: GroupCheck = (state) => {
  if (!canAddMembers(groupMember(state), state.membersCanAdd)) throw new AppError('FORBIDDEN', TEXTS.adminsOnly);
};

/** Renaming and settings: admins and the owner. */
export const mayManageGroup: GroupCheck = (state) => {
  if (!canManageGroup(groupMember(state, TEXTS.directChatFixed))) throw new AppError('FORBIDDEN', TEXTS.adminsOnly);
};

/** Removing someone else: the owner removes anyone; an admin, plain members only. */
export const mayRemoveMember: GroupCheck = (state) => {
  const actor = groupMember(state);
  if (!isGroupAdmin(actor)) throw new AppError('FORBIDDEN', TEXTS.adminsOnly);
  if (!canRemoveMember(actor, targetMember(state))) throw new AppError('FORBIDDEN', TEXTS.outranked);
};

/** Leaving: any member of a group. */
export const mayLeave: GroupCheck = (state) => void groupMember(state);

/** Setting someone's role (handing ownership over included): the owner only, for another member. */
export const maySetRole: GroupCheck = (state) => {
  if (!canSetRoles(groupMember(state, TEXTS.directChatFixed))) throw new AppError('FORBIDDEN', TEXTS.ownerOnly);
  if (targetMember(state) === 'owner') throw new AppError('FORBIDDEN', TEXTS.ownRole);
};
