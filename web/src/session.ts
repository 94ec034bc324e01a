import type { PublicUser } from '../../src/protocol/index.js';

/** The signed-in user and their token, kept in localStorage so that a reload stays signed in. */
export interface Session {
  token: string;
  user: PublicUser;
}

const KEY = 'parley.session';

export function loadSession(): Session | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as Partial<Session>;
    return typeof session.token === 'string' && session.user ? (session as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}
