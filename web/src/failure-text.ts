import { errorText } from './i18n/index.js';

/**
 * What to show for a request that failed, in the page's language: a server refusal by its `code`
 * (ApiError of the HTTP API, the SDK's ParleyError), a fetch that never reached the server
 * (fetch rejects with a TypeError, whose text is the browser's own "Failed to fetch") as OFFLINE.
 */
export function failureText(error: unknown): string {
  if (error instanceof TypeError) return errorText({ code: 'OFFLINE' });
  const { code, message } = error as { code?: unknown; message?: unknown };
  return errorText({
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof message === 'string' ? { error: message } : {}),
  });
}
