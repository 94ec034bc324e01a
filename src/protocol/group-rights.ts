import type { MemberRole } from './types.js';

/**
 * Who may change a group (README "Group roles"), as plain predicates over roles: the server's
 * checks (src/chat/group-rules.ts, run under the chat's lock) and the web client's offers of
 * controls both read them, so that the two cannot disagree. No zod: a browser imports this.
 */
export const isGroupAdmin = (role: MemberRole | null | undefined): boolean => role === 'owner' || role === 'admin';

/** Adding people: admins and the owner; plain members while the group lets them (membersCanAdd). */
export const canAddMembers = (actor: MemberRole, membersCanAdd: boolean): boolean =>
  isGroupAdmin(actor) || membersCanAdd;

/** Renaming the group and changing its settings: admins and the owner. */
export const canManageGroup = (actor: MemberRole): boolean => isGroupAdmin(actor);

/** Removing a member of role `target`: the owner removes anyone else; an admin, plain members only. */
export const canRemoveMember = (actor: MemberRole, target: MemberRole): boolean =>
  target !== 'owner' && (actor === 'owner' || (actor === 'admin' && target === 'member'));

/** Setting someone's role, handing ownership over included: the owner only. */
export const canSetRoles = (actor: MemberRole): boolean => actor === 'owner';
