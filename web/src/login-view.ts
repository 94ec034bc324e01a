import { el } from './dom.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t, type StringKey } from './i18n/index.js';
import { languageSwitch } from './language-switch.js';
import type { Session } from './session.js';

/** A field of the login page with its label above it; `name` is also its test id. */
function field(name: string, type: string, label: StringKey, autocomplete: string) {
  const input = el('input', { attrs: { name, type, required: '', autocomplete, 'data-testid': name } });
  return { input, element: el('label', { class: 'field' }, el('span', { text: t(label) }), input) };
}

/**
 * Sign in (email or username + password) or register, and the language switch; resolves the
 * session through `onSession`. A refused sign-in says so in the page's language whatever the
 * server's text (UNAUTHORIZED here means the login or the password is wrong, not "sign in again").
 */
export function loginView(onSession: (session: Session) => void): HTMLElement {
  const error = el('p', { class: 'error', attrs: { 'data-testid': 'login-error', role: 'alert' } });

  const login = field('login', 'text', 'login.login', 'username');
  const password = field('password', 'password', 'login.password', 'current-password');
  const signIn = el(
    'form',
    { class: 'card', attrs: { 'aria-labelledby': 'sign-in-heading' } },
    el('h2', { text: t('login.signIn'), attrs: { id: 'sign-in-heading' } }),
    login.element,
    password.element,
    el('button', { text: t('login.signIn'), attrs: { type: 'submit', 'data-testid': 'sign-in' } }),
  );

  const email = field('email', 'email', 'login.email', 'email');
  const username = field('username', 'text', 'login.username', 'username');
  const newPassword = field('new-password', 'password', 'login.newPassword', 'new-password');
  const register = el(
    'form',
    { class: 'card', attrs: { 'aria-labelledby': 'register-heading' } },
    el('h2', { text: t('login.register'), attrs: { id: 'register-heading' } }),
    email.element,
    username.element,
    newPassword.element,
    el('button', { text: t('login.createAccount'), attrs: { type: 'submit', 'data-testid': 'register' } }),
  );

  async function attempt(
    work: () => Promise<{ accessToken: string; user: Session['user'] }>,
    refusal?: StringKey,
  ): Promise<void> {
    error.textContent = '';
    try {
      const { accessToken, user } = await work();
      onSession({ token: accessToken, user });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      error.textContent = refusal && code === 'UNAUTHORIZED' ? t(refusal) : failureText(e);
    }
  }
  signIn.addEventListener('submit', (event) => {
    event.preventDefault();
    void attempt(() => httpApi.login(login.input.value.trim(), password.input.value), 'login.badCredentials');
  });
  register.addEventListener('submit', (event) => {
    event.preventDefault();
    void attempt(() =>
      httpApi.register({ email: email.input.value, username: username.input.value, password: newPassword.input.value }),
    );
  });

  return el(
    'div',
    { class: 'login' },
    el('div', { class: 'login-header' }, el('h1', { text: t('app.name') }), languageSwitch()),
    el('div', { class: 'cards' }, signIn, register),
    error,
  );
}
