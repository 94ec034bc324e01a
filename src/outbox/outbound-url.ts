import { AppError } from '../errors.js';
import { checkHost, hostOf } from './public-address.js';

/**
 * Checks a URL Parley is asked to call (a webhook endpoint, a push service): https (http only
 * where private addresses are allowed, i.e. development), no credentials in it, and a host whose
 * every address is public (public-address.ts). Throws VALIDATION_ERROR naming `field`.
 */
export async function checkOutboundUrl(value: string, field: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('VALIDATION_ERROR', 'Некорректный URL', field);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowPrivate)) {
    throw new AppError('VALIDATION_ERROR', 'Адрес должен начинаться с https://', field);
  }
  if (url.username || url.password) {
    throw new AppError('VALIDATION_ERROR', 'Адрес не должен содержать имя пользователя и пароль', field);
  }
  try {
    await checkHost(hostOf(url), allowPrivate);
  } catch {
    // One answer whether the name does not resolve or resolves inside: nothing to probe with.
    throw new AppError('VALIDATION_ERROR', 'Адрес не ведёт в публичную сеть', field);
  }
  return url;
}
