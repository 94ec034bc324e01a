/**
 * The 1,000-chat list at the store, in one process, for a build of any commit: what the server does
 * for `get_my_chats` before presence and the frame, without the network, the load tool or another
 * process on the same cores (the capacity bench's figure is the round trip).
 *
 *   npx tsx chat-list-in-process.ts DIR LABEL
 *
 * DIR is a checkout of the commit with `node_modules` and its `dist` built, e.g.
 *   mkdir b && git archive b46678b | tar -x -C b && ln -s "$PWD/node_modules" b/node_modules &&
 *   (cd b && npx tsc -p tsconfig.build.json) It seeds an in-memory PGlite with DIR's own bench seed (1,000 chats of two
 * members, each with one message: bench/seed.ts seedChatList), then lists them 350 times (50 to
 * warm up) and writes each list as the answer carries it: `JSON.stringify` of the objects for a
 * build whose store lists objects, the chats' own texts joined for one that writes them
 * (`listChatTexts`, since 2d15c7b). Prints one JSON line: milliseconds per call listing and writing,
 * and the answer's size.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [dir, label] = process.argv.slice(2);
if (!dir || !label) throw new Error('usage: chat-list-in-process.ts DIR LABEL');
const load = (file: string) => import(pathToFileURL(path.resolve(dir, file)).href);
const { openDatabase } = await load('dist/store/open-store.js');
const { ChatStore } = await load('dist/store/chats.js');
const { seedChatList, seedUsers } = await load('bench/seed.ts');

interface Written {
  writeJson(written: Map<object, string>): string;
}
const db = await openDatabase({ kind: 'memory' });
const partners = await seedUsers(db, 200, 'x'.repeat(40));
const [owner] = await seedUsers(db, 1, 'x'.repeat(40));
await seedChatList(db, owner, partners, 1000);
const store = new ChatStore(db);
const writesText = typeof store.listChatTexts === 'function';
const list = (): Promise<unknown[]> => (writesText ? store.listChatTexts(owner.id) : store.listChats(owner.id));
const write = (chats: unknown[]): string => {
  if (!writesText) return JSON.stringify(chats);
  const written = new Map<object, string>();
  return `[${(chats as Written[]).map((chat) => chat.writeJson(written)).join(',')}]`;
};

const WARM_UP = 50;
const CALLS = 300;
let listing = 0;
let writing = 0;
let chars = 0;
for (let i = 0; i < WARM_UP + CALLS; i++) {
  const started = performance.now();
  const chats = await list();
  const listed = performance.now();
  const json = write(chats);
  const done = performance.now();
  if (chats.length !== 1000) throw new Error(`listed ${chats.length} chats`);
  if (i < WARM_UP) continue;
  listing += listed - started;
  writing += done - listed;
  chars = json.length;
}
const round = (ms: number) => Math.round((ms / CALLS) * 100) / 100;
console.log(JSON.stringify({ label, listMs: round(listing), writeMs: round(writing), totalMs: round(listing + writing), chars }));
await db.close();
