import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/protocol/index.js';
import { asVersioned, ChatVersions, syncChanges, type VersionedEvent } from '../../sdk/chat-versions.js';

/**
 * The SDK's ordering of a chat's changes, without a server: the forms of changes today's server
 * cannot send yet (a sync entry's `events`, a new versioned event) and the orders a cluster can
 * deliver in. The server's own orders are tested end to end in client.test.ts.
 */
const CHAT = 'c1';
const AT = '2026-01-01T00:00:00.000Z';
const message = (version: number, id = `m${version}`): Message => ({
  id,
  text: `text ${version}`,
  sender: 'u1',
  chatId: CHAT,
  createdAt: new Date(version * 1000).toISOString(),
  user: { id: 'u1', email: 'u1@example.com', username: 'u1' },
  seq: version,
  version,
});

function ordering() {
  const delivered: VersionedEvent[] = [];
  const syncs: string[] = [];
  const versions = new ChatVersions(
    (event) => delivered.push(event),
    (chatId) => {
      versions.beginSync(chatId);
      syncs.push(chatId);
    },
  );
  return { versions, delivered, syncs, seen: () => delivered.map((e) => [e.name, e.version]) };
}

describe('asVersioned: which server events are a chat’s changes', () => {
  it('takes any event with {chatId, version}, a message, or a payload carrying one', () => {
    expect(asVersioned('new_message', message(3))).toMatchObject({ chatId: CHAT, version: 3, message: message(3) });
    const roleChange = { chatId: CHAT, version: 7, kind: 'role_changed', userId: 'u2', role: 'admin' };
    expect(asVersioned('chat_event', roleChange)).toEqual({
      chatId: CHAT,
      version: 7,
      name: 'chat_event',
      payload: roleChange,
    });
    expect(asVersioned('something_new', { message: message(4) })).toMatchObject({ chatId: CHAT, version: 4 });
    expect(asVersioned('messages_read', { chatId: CHAT, userId: 'u2', messageId: 'm1', seq: 1 })).toBeUndefined();
    expect(asVersioned('user_online', { userId: 'u2' })).toBeUndefined();
    expect(asVersioned('odd', 'text')).toBeUndefined();
  });
});

describe('syncChanges: a sync entry as changes', () => {
  it('merges the messages and the events a newer server adds, in version order', () => {
    const event = {
      chatId: CHAT,
      version: 5,
      kind: 'chat_renamed' as const,
      name: 'new',
      actorId: null,
      createdAt: AT,
    };
    const entry = {
      success: true as const,
      chatId: CHAT,
      version: 6,
      hasMore: false,
      messages: [message(4), message(6)],
      events: [event],
    };
    expect(syncChanges(entry).map((c) => [c.name, c.version])).toEqual([
      ['sync_message', 4],
      ['chat_event', 5],
      ['sync_message', 6],
    ]);
  });
});

describe('ChatVersions', () => {
  it('passes changes in order, drops repeats, and holds an early one until the gap is synced', () => {
    const { versions, syncs, seen } = ordering();
    versions.start(CHAT, 2);
    versions.live(asVersioned('new_message', message(3))!);
    versions.live(asVersioned('new_message', message(3))!); // a repeat
    versions.live(asVersioned('chat_event', { chatId: CHAT, version: 6, kind: 'chat_renamed', name: 'x' })!);
    expect(seen()).toEqual([['new_message', 3]]);
    expect(syncs).toEqual([CHAT]);
    // The sync reads 4 and 5; 6 was held and follows them.
    versions.synced(
      CHAT,
      syncChanges({
        success: true,
        chatId: CHAT,
        version: 5,
        hasMore: false,
        messages: [message(4), message(5)],
        events: [],
      }),
      5,
      true,
    );
    expect(seen()).toEqual([
      ['new_message', 3],
      ['sync_message', 4],
      ['sync_message', 5],
      ['chat_event', 6],
    ]);
    expect(versions.version(CHAT)).toBe(6);
  });

  it('holds live changes during a sync and drops those it covered', () => {
    const { versions, seen } = ordering();
    versions.start(CHAT, 1);
    versions.beginSync(CHAT);
    versions.live(asVersioned('new_message', message(3))!);
    versions.live(asVersioned('new_message', message(4))!);
    versions.synced(CHAT, [], 2, false); // a first page: more to come
    expect(seen()).toEqual([]);
    versions.synced(
      CHAT,
      syncChanges({ success: true, chatId: CHAT, version: 3, hasMore: false, messages: [message(3)], events: [] }),
      3,
      true,
    );
    expect(seen()).toEqual([
      ['sync_message', 3],
      ['new_message', 4],
    ]);
  });
});
