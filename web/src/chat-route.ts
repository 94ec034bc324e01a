/**
 * The open chat in the URL: `/chats/:id` (the server serves the page there too,
 * src/http/web-client.ts), and `/` for the chat list alone.
 */
export const LIST_PATH = '/';

export function chatPath(chatId: string): string {
  return `/chats/${encodeURIComponent(chatId)}`;
}

export function chatIdOfPath(path: string): string | undefined {
  const match = /^\/chats\/([^/]+)\/?$/.exec(path);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined; // a malformed escape: no chat
  }
}
