import type { ChatMember, ChatSummary, MemberRole } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { mayManageGroup, mayRemoveMember, maySetRoles } from './group-rights.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';

/** How the panel reaches the rest of the page. */
export interface GroupPanelContext {
  token: string;
  meId: string;
  /** The group as the chat list holds it now. */
  chat: () => ChatSummary;
  /** The group as a PATCH / PUT role answer has it after the caller's change. */
  changed: (chat: ChatSummary) => void;
  showError: (message: string) => void;
}

export interface GroupPanel {
  readonly element: HTMLElement;
  /** Shows the group as `chat()` has it now: after a chat event, a member change or an answer. */
  refresh: () => void;
}

const ROLE_ORDER: Record<MemberRole, number> = { owner: 0, admin: 1, member: 2 };

/**
 * A group's members panel: each member with their role, and the controls the caller's role allows
 * (group-rights.ts): renaming and "members can add people" for admins and the owner, removing
 * members, and for the owner making and unmaking admins and handing ownership over. Others' changes
 * arrive as chat events, which the chat app applies before calling refresh().
 */
export function groupPanel(context: GroupPanelContext): GroupPanel {
  const { token, meId, chat, showError } = context;

  /** Runs one change; its answer (when it has the group) is applied at once, the refusal shown. */
  async function change(run: () => Promise<{ chat?: ChatSummary }>): Promise<void> {
    showError('');
    try {
      const answer = await run();
      if (answer.chat) context.changed(answer.chat);
    } catch (error) {
      showError(failureText(error));
    }
  }

  const nameInput = el('input', {
    attrs: { type: 'text', maxlength: '100', required: '', 'data-testid': 'group-name-input' },
  });
  const renameForm = el(
    'form',
    { class: 'group-rename', attrs: { 'data-testid': 'group-rename' } },
    el('label', {}, el('span', { text: t('group.name') }), nameInput),
    el('button', { text: t('group.rename'), attrs: { type: 'submit', 'data-testid': 'group-rename-submit' } }),
  );
  renameForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (name && name !== chat().name) void change(() => httpApi.updateChat(token, chat().id, { name }));
  });

  const membersCanAdd = el('input', { attrs: { type: 'checkbox', 'data-testid': 'members-can-add' } });
  const settings = el(
    'label',
    { class: 'group-setting' },
    membersCanAdd,
    el('span', { text: t('group.membersCanAdd') }),
  );
  membersCanAdd.addEventListener('change', () => {
    const wanted = membersCanAdd.checked;
    void change(() => httpApi.updateChat(token, chat().id, { membersCanAdd: wanted })).finally(refresh);
  });

  const list = el('ul', {
    class: 'member-list',
    attrs: { 'data-testid': 'member-list', 'aria-label': t('group.members') },
  });

  function memberItem(member: ChatMember): HTMLElement {
    const role = member.role ?? 'member';
    const item = el(
      'li',
      { class: 'member', attrs: { 'data-testid': 'member', 'data-user-id': member.id, 'data-role': role } },
      el('span', { class: 'member-name', text: member.username }),
      el('span', { class: `role ${role}`, text: t(`role.${role}`), attrs: { 'data-testid': 'member-role' } }),
    );
    const group = chat();
    const names = { name: member.username };
    // The name says whom it is for, after the visible text (which voice control users speak).
    const button = (text: string, testId: string, run: () => void) => {
      const control = el('button', {
        class: 'link',
        text,
        attrs: { type: 'button', 'aria-label': `${text}: ${member.username}`, 'data-testid': testId },
      });
      control.addEventListener('click', run);
      item.append(control);
    };
    const setRole = (wanted: MemberRole) => () =>
      void change(() => httpApi.setRole(token, group.id, member.id, { role: wanted }));
    if (maySetRoles(group, meId) && role !== 'owner') {
      if (role === 'admin') button(t('group.unmakeAdmin'), 'unmake-admin', setRole('member'));
      else button(t('group.makeAdmin'), 'make-admin', setRole('admin'));
      button(t('group.makeOwner'), 'make-owner', () => {
        if (confirm(t('group.makeOwnerConfirm', names))) setRole('owner')();
      });
    }
    if (mayRemoveMember(group, meId, member.id))
      button(t('group.remove'), 'remove-member', () => {
        if (confirm(t('group.removeConfirm', names)))
          void change(async () => {
            await httpApi.removeMember(token, group.id, member.id);
            return {};
          });
      });
    return item;
  }

  function refresh(): void {
    const group = chat();
    const manage = mayManageGroup(group, meId);
    renameForm.hidden = !manage;
    settings.hidden = !manage;
    // Not while the user is typing a new name.
    if (document.activeElement !== nameInput) nameInput.value = group.name ?? '';
    membersCanAdd.checked = group.membersCanAdd === true;
    const members = [...group.users].sort(
      (a, b) => ROLE_ORDER[a.role ?? 'member'] - ROLE_ORDER[b.role ?? 'member'] || a.username.localeCompare(b.username),
    );
    // Keyboard users keep their place: focus goes back to the same member's controls.
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const focusedUser = focused?.closest('li')?.dataset.userId;
    const focusedControl = focused?.getAttribute('data-testid');
    list.replaceChildren(...members.map(memberItem));
    if (focusedUser) {
      const item = list.querySelector<HTMLElement>(`li[data-user-id="${CSS.escape(focusedUser)}"]`);
      const control =
        item?.querySelector<HTMLElement>(`[data-testid="${focusedControl ?? ''}"]`) ?? item?.querySelector('button');
      control?.focus();
    }
  }

  const element = el(
    'div',
    { class: 'group-panel', attrs: { 'data-testid': 'group-panel' } },
    renameForm,
    settings,
    list,
  );
  refresh();
  return { element, refresh };
}
