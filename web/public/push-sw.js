/* global self */
// Parley's service worker: shows the server's Web Push notifications (README "Push notifications")
// and opens the client when one is clicked. The payload is the server's
// {type: 'message', chatId, messageId, direct, mention, chatName, sender, text}.
self.addEventListener('push', (event) => {
  let payload;
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = {};
  }
  const where = payload.direct ? payload.sender : `${payload.sender} in ${payload.chatName ?? 'a group'}`;
  const title = payload.mention ? `${where} mentioned you` : `${where ?? 'Parley'}`;
  event.waitUntil(
    self.registration.showNotification(title, {
      body: payload.text ?? '',
      tag: payload.chatId,
      data: { chatId: payload.chatId },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => 'focus' in w);
      return open ? open.focus() : self.clients.openWindow('./');
    }),
  );
});
