import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { defaultOutboxStore, IndexedDbOutboxStore, MemoryOutboxStore, type OutboxEntry } from '../../sdk/index.js';

/**
 * The browser's outbox (IndexedDB through idb-keyval), here on fake-indexeddb, an in-memory
 * IndexedDB with the browsers' API: what one page wrote, the next page load reads.
 */
const entry = (clientMessageId: string, text: string): OutboxEntry => ({
  clientMessageId,
  userId: 'u1',
  chatId: 'c1',
  text,
  createdAt: new Date().toISOString(),
  state: 'sending',
});

describe('the outbox stores', () => {
  it('uses IndexedDB where there is one', () => {
    expect(defaultOutboxStore()).toBeInstanceOf(IndexedDbOutboxStore);
  });

  it('keeps entries in IndexedDB for the next page load, until they are deleted', async () => {
    const page = new IndexedDbOutboxStore('parley-sdk-test');
    await page.put(entry('a', 'first'));
    await page.put(entry('b', 'second'));
    await page.put({
      ...entry('b', 'second'),
      state: 'failed',
      error: { code: 'VALIDATION_ERROR', error: 'too long' },
    });
    const nextPage = new IndexedDbOutboxStore('parley-sdk-test');
    expect((await nextPage.list()).map((e) => [e.clientMessageId, e.state])).toEqual([
      ['a', 'sending'],
      ['b', 'failed'],
    ]);
    await nextPage.delete('a');
    expect((await new IndexedDbOutboxStore('parley-sdk-test').list()).map((e) => e.clientMessageId)).toEqual(['b']);
  });

  it('keeps copies in memory, so that the caller’s objects can change freely', async () => {
    const store = new MemoryOutboxStore();
    const written = entry('a', 'text');
    await store.put(written);
    written.text = 'changed';
    expect((await store.list())[0]!.text).toBe('text');
  });
});
