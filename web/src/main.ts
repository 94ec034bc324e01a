import './screens.css';
import { ChatApp } from './chat-app.js';
import { el } from './dom.js';
import { failureOf, failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';
import { loginView } from './login-view.js';
import { clearSession, loadSession, saveSession, type Session } from './session.js';

/**
 * Entry: a stored session whose token still works opens the chats; a refused token (401) the login
 * form. A server that cannot be reached (or fails) signs nobody out: the page says so and tries again.
 */
const root = document.getElementById('app') as HTMLElement;

/** Start-up retries after a failed GET /users/me: 1 s, doubling, at most this long apart. */
const MAX_RETRY_MS = 30_000;

function showLogin(): void {
  clearSession();
  root.replaceChildren(
    loginView((session) => {
      saveSession(session);
      showChats(session);
    }),
  );
}

function showChats(session: Session): void {
  root.replaceChildren(new ChatApp(session, showLogin).element);
}

/** "Cannot reach the server", a Retry button, and a retry by itself after `delayMs`. */
function showUnreachable(error: unknown, attempt: number): void {
  const delayMs = Math.min(MAX_RETRY_MS, 1_000 * 2 ** attempt);
  const timer = setTimeout(() => void start(attempt + 1), delayMs);
  const retry = el('button', { text: t('startup.retry'), attrs: { type: 'button', 'data-testid': 'startup-retry' } });
  retry.addEventListener('click', () => {
    clearTimeout(timer);
    void start(attempt + 1);
  });
  root.replaceChildren(
    el(
      'section',
      { class: 'startup-error', attrs: { 'data-testid': 'startup-error' } },
      el('p', { text: failureText(error), attrs: { role: 'alert' } }),
      el('p', { class: 'hint', text: t('startup.retrying') }),
      retry,
    ),
  );
}

async function start(attempt = 0): Promise<void> {
  const session = loadSession();
  if (!session) return showLogin();
  try {
    const { user } = await httpApi.me(session.token);
    showChats({ token: session.token, user });
  } catch (error) {
    if (failureOf(error).code === 'UNAUTHORIZED') showLogin();
    else showUnreachable(error, attempt);
  }
}

void start();
