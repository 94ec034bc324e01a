import { el } from './dom.js';
import { httpApi } from './http-api.js';
import type { Session } from './session.js';

/** Sign in (email or username + password) or register; resolves the session through `onSession`. */
export function loginView(onSession: (session: Session) => void): HTMLElement {
  const error = el('p', { class: 'error', attrs: { 'data-testid': 'login-error' } });
  const field = (name: string, type: string, placeholder: string) =>
    el('input', { attrs: { name, type, placeholder, required: '', 'data-testid': name } });

  const login = field('login', 'text', 'Email or username');
  const password = field('password', 'password', 'Password');
  const signIn = el(
    'form',
    { class: 'card' },
    el('h2', { text: 'Sign in' }),
    login,
    password,
    el('button', { text: 'Sign in', attrs: { type: 'submit', 'data-testid': 'sign-in' } }),
  );

  const email = field('email', 'email', 'Email');
  const username = field('username', 'text', 'Username');
  const newPassword = field('new-password', 'password', 'Password (8+ characters)');
  const register = el(
    'form',
    { class: 'card' },
    el('h2', { text: 'Register' }),
    email,
    username,
    newPassword,
    el('button', { text: 'Create account', attrs: { type: 'submit', 'data-testid': 'register' } }),
  );

  async function attempt(work: () => Promise<{ accessToken: string; user: Session['user'] }>): Promise<void> {
    error.textContent = '';
    try {
      const { accessToken, user } = await work();
      onSession({ token: accessToken, user });
    } catch (e) {
      error.textContent = (e as Error).message;
    }
  }
  signIn.addEventListener('submit', (event) => {
    event.preventDefault();
    void attempt(() => httpApi.login(login.value.trim(), password.value));
  });
  register.addEventListener('submit', (event) => {
    event.preventDefault();
    void attempt(() => httpApi.register({ email: email.value, username: username.value, password: newPassword.value }));
  });

  return el(
    'div',
    { class: 'login' },
    el('h1', { text: 'Parley' }),
    el('div', { class: 'cards' }, signIn, register),
    error,
  );
}
