import type { ChatSummary } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { groupPanel } from './group-panel.js';
import { mayAddMembers } from './group-rights.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';
import { userPicker } from './user-picker.js';

/** Numbers the panels, for the toggle's aria-controls. */
let panelCount = 0;

export interface GroupChanges {
  /** The chat as the caller sees it after their own change (an answer that carries the chat). */
  changed(chat: ChatSummary): void;
  left(chatId: string): void;
}

export interface GroupControls {
  readonly element: HTMLElement;
  /** Shows the group as the chat list holds it now (roles, name, settings, members). */
  refresh: () => void;
}

/**
 * A group chat's controls for the conversation header: "Members" (the members panel with roles
 * and the controls the caller's role allows), "Add people" (pick users, then
 * POST /chats/:id/members; offered while the caller may add) and "Leave"
 * (DELETE /chats/:id/members/me). The server also announces every change (`chat_event`,
 * `chat_members_changed`, `chat_left` to every tab of the leaver); the answers are applied as well
 * so that this tab does not depend on the events, and applying one twice changes nothing.
 */
export function groupControls(
  token: string,
  meId: string,
  chat: () => ChatSummary,
  changes: GroupChanges,
): GroupControls {
  const error = el('p', { class: 'error', attrs: { 'data-testid': 'group-error', role: 'alert' } });
  const showError = (message: string) => (error.textContent = message);
  const picker = userPicker(token, showError, () => new Set(chat().users.map((u) => u.id)));

  const panel = groupPanel({ token, meId, chat, changed: (answer) => changes.changed(answer), showError });
  panel.element.id = `group-panel-${++panelCount}`;
  panel.element.hidden = true;
  const membersToggle = el('button', {
    class: 'link',
    text: t('group.membersToggle'),
    attrs: {
      type: 'button',
      'data-testid': 'members-toggle',
      'aria-expanded': 'false',
      'aria-controls': panel.element.id,
    },
  });
  membersToggle.addEventListener('click', () => {
    panel.element.hidden = !panel.element.hidden;
    membersToggle.setAttribute('aria-expanded', String(!panel.element.hidden));
  });

  const add = el('button', { text: t('group.add'), attrs: { type: 'submit', 'data-testid': 'add-members-submit' } });
  const addForm = el(
    'form',
    { class: 'add-members', attrs: { 'data-testid': 'add-members', 'aria-label': t('group.addPeople') } },
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
      showError(t('picker.pickSomeone'));
      return;
    }
    try {
      const answer = await httpApi.addMembers(token, chat().id, { userIds });
      picker.reset();
      addForm.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
      changes.changed(answer.chat);
    } catch (e) {
      showError(failureText(e));
    }
  }

  const toggle = el('button', {
    class: 'link',
    text: t('group.addPeople'),
    attrs: { type: 'button', 'data-testid': 'add-members-toggle', 'aria-expanded': 'false' },
  });
  toggle.addEventListener('click', () => {
    addForm.hidden = !addForm.hidden;
    toggle.setAttribute('aria-expanded', String(!addForm.hidden));
    showError('');
    if (addForm.hidden) picker.reset();
  });

  const leave = el('button', {
    class: 'link',
    text: t('group.leave'),
    attrs: { type: 'button', 'data-testid': 'leave-chat' },
  });
  leave.addEventListener('click', () => void leaveChat());

  async function leaveChat(): Promise<void> {
    const { id } = chat();
    if (!confirm(t('group.leaveConfirm'))) return;
    showError('');
    try {
      await httpApi.leaveChat(token, id);
      changes.left(id);
    } catch (e) {
      showError(failureText(e));
    }
  }

  function refresh(): void {
    const mayAdd = mayAddMembers(chat(), meId);
    toggle.hidden = !mayAdd;
    if (!mayAdd && !addForm.hidden) {
      addForm.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
      picker.reset();
    }
    panel.refresh();
  }
  refresh();

  const element = el(
    'div',
    { class: 'group-controls' },
    el('div', { class: 'group-buttons' }, membersToggle, toggle, leave),
    addForm,
    panel.element,
    error,
  );
  return { element, refresh };
}
