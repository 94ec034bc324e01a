import { el } from './dom.js';
import { failureText } from './failure.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';

/** The service worker that shows the pushes (web/public/push-sw.js, served at the client's root). */
const SERVICE_WORKER = './push-sw.js';

/** URL-safe base64 → the bytes PushManager.subscribe takes as applicationServerKey. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The "Notifications" toggle (README "Push notifications"): on, it asks the browser's permission,
 * registers the service worker, subscribes with the server's VAPID key and gives the subscription
 * to the server; off, it unsubscribes on both sides. Absent where the browser has no Push API.
 */
export function pushToggle(token: string): HTMLElement | undefined {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return undefined;
  const box = el('input', { attrs: { type: 'checkbox', 'data-testid': 'push-toggle' } });
  const note = el('span', { class: 'hint', attrs: { 'data-testid': 'push-status', role: 'status' } });
  const label = el('label', { class: 'push-toggle' }, box, el('span', { text: t('push.label') }), note);

  const current = async () =>
    (await navigator.serviceWorker.getRegistration(SERVICE_WORKER))?.pushManager.getSubscription();
  void current().then(
    (subscription) => (box.checked = Boolean(subscription)),
    () => undefined,
  );

  box.addEventListener('change', () => {
    box.disabled = true;
    note.textContent = '';
    const change = box.checked ? enable(token) : disable(token, current);
    change
      .catch((error: unknown) => {
        box.checked = !box.checked;
        note.textContent = error instanceof PushRefused ? t('push.refused') : failureText(error);
      })
      .finally(() => (box.disabled = false));
  });
  return label;
}

/** The browser (or the user, when asked) did not allow notifications. */
class PushRefused extends Error {}

async function enable(token: string): Promise<void> {
  if ((await Notification.requestPermission()) !== 'granted') throw new PushRefused();
  const registration = await navigator.serviceWorker.register(SERVICE_WORKER);
  await navigator.serviceWorker.ready;
  const { publicKey } = await httpApi.vapidPublicKey();
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(publicKey),
  });
  await httpApi.subscribePush(token, subscription.toJSON());
}

async function disable(token: string, current: () => Promise<PushSubscription | null | undefined>): Promise<void> {
  const subscription = await current();
  if (!subscription) return;
  await httpApi.unsubscribePush(token, subscription.endpoint).catch(() => undefined);
  await subscription.unsubscribe();
}
