import { openPgliteDatabase, skipWasmBaselineCompiler } from '../src/store/pglite-database.js';
import { migrate } from '../src/store/migrate.js';
import { Store } from '../src/store/store.js';
import { seedUsers, seedHistory, seedChatList } from '../bench/seed.js';
skipWasmBaselineCompiler();
const db = await openPgliteDatabase(undefined);
await migrate(db);
const store = new Store(db);
const [a, b] = await seedUsers(db, 2, 'x'.repeat(40));
const filler = ' ' + '𝄞'.repeat(4000 - 40);
const { chat, cursorIds } = await seedHistory(db, [a!, b!], 2000, 200, filler);
await seedChatList(db, a!, await seedUsers(db, 10, 'x'.repeat(40)), 1000);
for (const limit of [100, 50, 20, 10]) {
  const times: number[] = []; const q: number[] = [];
  for (const c of cursorIds.slice(0, 60)) {
    const t0 = performance.now();
    const page = await store.messages.listMessages(chat.id, a!.id, { before: c, limit });
    const t1 = performance.now();
    JSON.stringify(page);
    times.push(performance.now() - t0); q.push(t1 - t0);
  }
  times.sort((x, y) => x - y); q.sort((x, y) => x - y);
  console.log(`limit ${limit}: total p50 ${times[30]!.toFixed(1)} p90 ${times[54]!.toFixed(1)} ms; store p50 ${q[30]!.toFixed(1)}`);
}
const t: number[] = [];
for (let i = 0; i < 30; i++) { const t0 = performance.now(); const l = await store.chats.listChats(a!.id); JSON.stringify(l); t.push(performance.now() - t0); }
t.sort((x, y) => x - y); console.log('chat list 1000: p50', t[15]!.toFixed(1), 'p90', t[27]!.toFixed(1));
await db.close();
