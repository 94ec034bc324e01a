/**
 * The `CORS_ORIGINS` allow-list. Browsers always send `Origin` on cross-site requests and on every
 * WebSocket handshake, so refusing unknown origins stops another site from using a visitor's
 * browser against Parley (cross-site WebSocket hijacking). A request without `Origin` does not come
 * from a web page of another site (curl, servers, native apps) and is not affected.
 */
export const ORIGIN_REFUSED_TEXT = 'Запросы с этого источника запрещены';

/** True when `origin` may call: no allow-list, no Origin header, or an origin on the list. */
export function originAllowed(allowList: readonly string[] | undefined, origin: unknown): boolean {
  if (allowList === undefined || origin === undefined) return true;
  if (typeof origin !== 'string') return false;
  return allowList.includes(origin.replace(/\/$/, '').toLowerCase());
}
