import webpush from 'web-push';
import type { PushSettings } from '../config.js';
import type { Database } from '../store/database.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The VAPID key pair that signs this deployment's pushes: VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY,
 * or else a pair generated once and kept in the database (for the embedded store, in DATA_DIR
 * with it), which every node then shares — a subscription only accepts pushes signed by the key
 * it was made with — and a warning is logged, as for the development JWT secret.
 */
export async function vapidKeys(
  settings: PushSettings,
  db: Database,
  warn: (message: string) => void,
): Promise<VapidKeys> {
  if (settings.vapidKeys) return settings.vapidKeys;
  const generated = webpush.generateVAPIDKeys();
  await db.query(
    'INSERT INTO push_vapid_keys (public_key, private_key) VALUES ($1, $2) ON CONFLICT (only_row) DO NOTHING',
    [generated.publicKey, generated.privateKey],
  );
  const [kept] = await db.query<{ publicKey: string; privateKey: string }>(
    'SELECT public_key AS "publicKey", private_key AS "privateKey" FROM push_vapid_keys',
  );
  warn('VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY are not set: push notifications use the key pair kept in the database');
  return kept!;
}
