import { ChatApp } from './chat-app.js';
import { httpApi } from './http-api.js';
import { loginView } from './login-view.js';
import { clearSession, loadSession, saveSession, type Session } from './session.js';

/** Entry: a stored session whose token still works opens the chats; otherwise the login form. */
const root = document.getElementById('app') as HTMLElement;

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

async function start(): Promise<void> {
  const session = loadSession();
  if (!session) return showLogin();
  try {
    const { user } = await httpApi.me(session.token);
    showChats({ token: session.token, user });
  } catch {
    showLogin();
  }
}

void start();
