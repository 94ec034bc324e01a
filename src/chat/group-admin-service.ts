import { AppError, TEXTS, forbiddenChat } from '../errors.js';
import { MAX_CHAT_MEMBERS } from '../protocol/schemas.js';
import type { AddMembersBody, SetRoleBody, UpdateChatBody } from '../protocol/schemas.js';
import type { ChatEvent, ChatSummary, PublicUser } from '../protocol/types.js';
import type { Store } from '../store/store.js';
import { failValidation } from '../validation.js';
import type { ChatService } from './chat-service.js';
import { mayAddMembers, mayLeave, mayManageGroup, mayRemoveMember, maySetRole } from './group-rules.js';

/**
 * Running a group (README "Group roles"): who is in it, its name and settings, its members'
 * roles and its owner. Each rule is a check of group-rules.ts that the store runs under the
 * chat's lock (GroupStore); each change is a versioned chat event, published on the chat
 * service's `changes` after its commit, with the member notifications that go with it.
 */
export class GroupAdminService {
  constructor(
    private readonly store: Store,
    private readonly chats: ChatService,
  ) {}

  /**
   * Adds users to a group the caller belongs to, if the caller may (mayAddMembers); returns the
   * chat as the caller sees it. The new members hear of it as `chat_created`, the others as
   * `chat_members_changed`, and the chat's sockets as the `members_added` chat event.
   */
  async addMembers(caller: PublicUser, chatId: string, body: AddMembersBody): Promise<ChatSummary> {
    const result = await this.store.groups.addMembers(chatId, body.userIds, MAX_CHAT_MEMBERS, {
      id: caller.id,
      check: mayAddMembers,
    });
    if (result.outcome === 'unknown_user')
      throw new AppError('NOT_FOUND', `${TEXTS.unknownUser}: ${result.userId}`, 'userIds');
    if (result.outcome === 'too_many') failValidation(TEXTS.tooManyMembers, 'userIds');
    const [chat] = await this.store.chats.listChats(caller.id, chatId);
    if (result.addedIds.length === 0) return chat!;
    this.chats.changes.publishEvents(result.events);
    const added = await Promise.all(
      result.addedIds.map(async (userId) => ({ userId, chat: (await this.store.chats.listChats(userId, chatId))[0]! })),
    );
    const previousIds = chat!.users.map((user) => user.id).filter((id) => !result.addedIds.includes(id));
    this.chats.changes.publish({ type: 'members_added', chatId, users: chat!.users, added, previousIds });
    return chat!;
  }

  /**
   * The caller leaves a group chat: from now on every event for it is refused to them. A direct
   * chat cannot be left (its pair would have no chat). An owner who leaves hands the group over
   * (GroupStore.removeMember).
   */
  async leaveChat(userId: string, chatId: string): Promise<void> {
    const events = await this.store.groups.removeMember(chatId, userId, { id: userId, check: mayLeave });
    if (!events) throw forbiddenChat();
    await this.publishDeparture(chatId, userId, events);
  }

  /**
   * An admin or the owner removes `userId` from a group (mayRemoveMember); the caller naming
   * themselves leaves. The removed member's sockets get the event of their removal and
   * `chat_left`, and leave the chat's room on every node.
   */
  async removeMember(caller: PublicUser, chatId: string, userId: string): Promise<void> {
    if (userId === caller.id) return this.leaveChat(caller.id, chatId);
    const events = await this.store.groups.removeMember(chatId, userId, { id: caller.id, check: mayRemoveMember });
    if (!events) throw new AppError('NOT_FOUND', TEXTS.notChatMember, 'userId');
    await this.publishDeparture(chatId, userId, events);
  }

  /** An admin or the owner renames a group and/or changes its settings; answers the chat as the caller sees it. */
  async updateChat(caller: PublicUser, chatId: string, body: UpdateChatBody): Promise<ChatSummary> {
    const actor = { id: caller.id, check: mayManageGroup };
    if (body.name !== undefined)
      this.chats.changes.publishEvents(await this.store.groups.rename(chatId, body.name, actor));
    if (body.membersCanAdd !== undefined)
      this.chats.changes.publishEvents(await this.store.groups.setMembersCanAdd(chatId, body.membersCanAdd, actor));
    return this.chats.chatOf(caller.id, chatId);
  }

  /**
   * The owner makes a member an admin or a plain member, or hands ownership over ('owner': the
   * caller becomes an admin); answers the chat as the caller sees it.
   */
  async setRole(caller: PublicUser, chatId: string, userId: string, { role }: SetRoleBody): Promise<ChatSummary> {
    this.chats.changes.publishEvents(
      await this.store.groups.setRole(chatId, userId, role, { id: caller.id, check: maySetRole }),
    );
    return this.chats.chatOf(caller.id, chatId);
  }

  /** `userId` left (or was removed from) `chatId` with `events`: the events, then the members' notifications. */
  private async publishDeparture(chatId: string, userId: string, events: readonly ChatEvent[]): Promise<void> {
    this.chats.changes.publishEvents(events);
    this.chats.changes.publish({
      type: 'member_left',
      chatId,
      userId,
      remaining: await this.store.chats.chatMembers(chatId),
    });
  }
}
