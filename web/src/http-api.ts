import type {
  AddMembersBody,
  ChatSummary,
  CreateChatBody,
  ErrorAnswer,
  PublicUser,
  RegisterBody,
} from '../../src/protocol/index.js';

/** A failed request: the envelope's Russian `error` text and `code`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** One call of the HTTP API (same origin); resolves with the success body or throws ApiError. */
async function call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = (await response.json().catch(() => ({}))) as ({ success: true } & T) | Partial<ErrorAnswer>;
  if (!response.ok || answer.success !== true) {
    const failure = answer as Partial<ErrorAnswer>;
    throw new ApiError(failure.error ?? `HTTP ${response.status}`, failure.code ?? 'INTERNAL', response.status);
  }
  return answer;
}

interface SessionAnswer {
  accessToken: string;
  user: PublicUser;
}

export const httpApi = {
  register: (body: RegisterBody) => call<SessionAnswer>('POST', '/auth/register', undefined, body),
  login: (login: string, password: string) =>
    call<SessionAnswer>(
      'POST',
      '/auth/login',
      undefined,
      login.includes('@') ? { email: login, password } : { username: login, password },
    ),
  me: (token: string) => call<{ user: PublicUser }>('GET', '/users/me', token),
  searchUsers: (token: string, search: string) =>
    call<{ users: PublicUser[] }>('GET', `/users?search=${encodeURIComponent(search)}`, token),
  createChat: (token: string, body: CreateChatBody) => call<{ chat: ChatSummary }>('POST', '/chats', token, body),
  /** Group chats only; answers the chat as the caller sees it after the change. */
  addMembers: (token: string, chatId: string, body: AddMembersBody) =>
    call<{ chat: ChatSummary }>('POST', `/chats/${encodeURIComponent(chatId)}/members`, token, body),
  /** Group chats only; the server then sends `chat_left` to all of the caller's sockets. */
  leaveChat: (token: string, chatId: string) =>
    call<object>('DELETE', `/chats/${encodeURIComponent(chatId)}/members/me`, token),
};
