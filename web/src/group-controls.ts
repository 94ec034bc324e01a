import type { ChatSummary } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { httpApi } from './http-api.js';
import { userPicker } from './user-picker.js';

export interface GroupChanges {
  /** The chat as the caller sees it after members were added (POST answer). */
  membersAdded(chat: ChatSummary): void;
  left(chatId: string): void;
}

/**
 * A group chat's controls for the conversation header: "Add people" (pick users, then
 * POST /chats/:id/members) and "Leave" (DELETE /chats/:id/members/me). The server also announces
 * both (`chat_members_changed`, `chat_left` to every tab of the leaver); the answers are applied
 * as well so that this tab does not depend on the event, and applying one twice changes nothing.
 */
export function groupControls(token: string, chat: () => ChatSummary, changes: GroupChanges): HTMLElement {
  const error = el('p', { class: 'error', attrs: { 'data-testid': 'group-error' } });
  const showError = (message: string) => (error.textContent = message);
  const picker = userPicker(token, showError, () => new Set(chat().users.map((u) => u.id)));

  const add = el('button', { text: 'Add', attrs: { type: 'submit', 'data-testid': 'add-members-submit' } });
  const addForm = el(
    'form',
    { class: 'add-members', attrs: { 'data-testid': 'add-members' } },
    ...picker.elements,
    add,
  );
  addForm.hidden = true;
  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void addPicked();
  });

  async function addPicked(): Promise<void> {
    showError('');
    const userIds = picker.pickedIds();
    if (userIds.length === 0) {
      showError('Pick at least one person');
      return;
    }
    try {
      const answer = await httpApi.addMembers(token, chat().id, { userIds });
      picker.reset();
      addForm.hidden = true;
      changes.membersAdded(answer.chat);
    } catch (e) {
      showError((e as Error).message);
    }
  }

  const toggle = el('button', {
    class: 'link',
    text: 'Add people',
    attrs: { type: 'button', 'data-testid': 'add-members-toggle' },
  });
  toggle.addEventListener('click', () => {
    addForm.hidden = !addForm.hidden;
    showError('');
    if (addForm.hidden) picker.reset();
  });

  const leave = el('button', { class: 'link', text: 'Leave', attrs: { type: 'button', 'data-testid': 'leave-chat' } });
  leave.addEventListener('click', () => void leaveChat());

  async function leaveChat(): Promise<void> {
    const { id } = chat();
    if (!confirm('Leave this chat? You will no longer see its messages.')) return;
    showError('');
    try {
      await httpApi.leaveChat(token, id);
      changes.left(id);
    } catch (e) {
      showError((e as Error).message);
    }
  }

  return el('div', { class: 'group-controls' }, el('div', { class: 'group-buttons' }, toggle, leave), addForm, error);
}
