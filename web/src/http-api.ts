import type {
  AddMembersBody,
  Attachment,
  ChatSummary,
  CreateChatBody,
  ErrorAnswer,
  PublicUser,
  RegisterBody,
  SetRoleBody,
  UpdateChatBody,
} from '../../src/protocol/index.js';
import { errorText } from './i18n/index.js';

/**
 * A failed request: the envelope's Russian `error` text and `code`; a server that could not be
 * reached is `OFFLINE` with status 0 (the browser's own "Failed to fetch" never reaches the user).
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * fetch, with a network failure turned into ApiError `OFFLINE`, whose message is already the
 * page's words for it (a caller that shows `message` never shows the browser's "Failed to fetch").
 */
async function reach(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch {
    throw new ApiError(errorText({ code: 'OFFLINE' }), 'OFFLINE', 0);
  }
}

/** One call of the HTTP API (same origin); resolves with the success body or throws ApiError. */
async function call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await reach(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
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

/** A file's bytes (`path`: /files/:id or its thumbnail), fetched with the bearer header. */
async function fetchBlob(token: string, path: string): Promise<Blob> {
  const response = await reach(path, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) {
    const failure = (await response.json().catch(() => ({}))) as Partial<ErrorAnswer>;
    throw new ApiError(failure.error ?? `HTTP ${response.status}`, failure.code ?? 'INTERNAL', response.status);
  }
  return response.blob();
}

/** POST /files: one file as multipart/form-data; resolves with the stored file. */
async function uploadFile(token: string, file: File): Promise<Attachment> {
  const form = new FormData();
  form.append('file', file, file.name);
  const response = await reach('/files', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const answer = (await response.json().catch(() => ({}))) as {
    success?: boolean;
    file?: Attachment;
    error?: string;
    code?: string;
  };
  if (!response.ok || answer.success !== true || !answer.file) {
    throw new ApiError(answer.error ?? `HTTP ${response.status}`, answer.code ?? 'INTERNAL', response.status);
  }
  return answer.file;
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
  /** Admins and the owner rename a group or change its settings; answers the group after the change. */
  updateChat: (token: string, chatId: string, body: UpdateChatBody) =>
    call<{ chat: ChatSummary }>('PATCH', `/chats/${encodeURIComponent(chatId)}`, token, body),
  /** Admins and the owner remove a member (README "Group roles"). */
  removeMember: (token: string, chatId: string, userId: string) =>
    call<object>('DELETE', `/chats/${encodeURIComponent(chatId)}/members/${encodeURIComponent(userId)}`, token),
  /** The owner sets a member's role or hands ownership over; answers the group after the change. */
  setRole: (token: string, chatId: string, userId: string, body: SetRoleBody) =>
    call<{ chat: ChatSummary }>(
      'PUT',
      `/chats/${encodeURIComponent(chatId)}/members/${encodeURIComponent(userId)}/role`,
      token,
      body,
    ),
  /** The users the caller has blocked, most recent first. */
  blockedUsers: (token: string) =>
    call<{ users: (PublicUser & { blockedAt: string })[] }>('GET', '/users/me/blocks', token),
  block: (token: string, userId: string) => call<object>('POST', `/users/${encodeURIComponent(userId)}/block`, token),
  unblock: (token: string, userId: string) =>
    call<object>('DELETE', `/users/${encodeURIComponent(userId)}/block`, token),
  uploadFile,
  /** The key to subscribe to Web Push with (URL-safe base64). */
  vapidPublicKey: () => call<{ publicKey: string }>('GET', '/push/vapid-public-key'),
  /** Keeps the browser's push subscription (PushSubscription.toJSON()) for the caller. */
  subscribePush: (token: string, subscription: PushSubscriptionJSON) =>
    call<object>('POST', '/push/subscriptions', token, subscription),
  unsubscribePush: (token: string, endpoint: string) =>
    call<object>('DELETE', '/push/subscriptions', token, { endpoint }),
  /** A file's bytes; `thumbnail` for an image's small WebP. */
  fileBlob: (token: string, fileId: string, thumbnail = false) =>
    fetchBlob(token, `/files/${encodeURIComponent(fileId)}${thumbnail ? '/thumbnail' : ''}`),
};
