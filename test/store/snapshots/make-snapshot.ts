/**
 * Makes a snapshot of a database as an earlier commit of Parley leaves it, for
 * test/store/upgrade.test.ts: that commit's code migrates an empty PostgreSQL database and writes
 * a few chats through its own Store, then the database is dumped as SQL that loads into PGlite
 * and PostgreSQL alike. With an expected-answers path, what that code's Store reads back is
 * written there as JSON (for commits whose answers are still the wire's).
 *
 *   psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE snapshot'
 *   npx tsx test/store/snapshots/make-snapshot.ts <commit> postgres://postgres@127.0.0.1:5432/snapshot \
 *     test/store/snapshots/v<N>.sql [test/store/snapshots/v<N>.expected.json]
 *
 * Needs git, tar and pg_dump (of the server's major version) on the PATH.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [commit, url, sqlPath, expectedPath] = process.argv.slice(2);
if (!commit || !url || !sqlPath)
  throw new Error('usage: make-snapshot.ts <commit> <database url> <out.sql> [<expected.json>]');
const tree = mkdtempSync(join(tmpdir(), 'parley-snapshot-'));
execSync(`git archive ${commit} src | tar -x -C ${tree}`);
symlinkSync(resolve('node_modules'), join(tree, 'node_modules'));
writeFileSync(join(tree, 'package.json'), '{ "type": "module" }');
const shortCommit = execSync(`git rev-parse --short=7 ${commit}`, { encoding: 'utf8' }).trim();
const from = (module: string) => import(join(tree, 'src/store', module));
const { openPostgresDatabase } = await from('postgres-database.ts');
const { migrate } = await from('migrate.ts');
const { Store } = await from('store.ts');

const db = await openPostgresDatabase(url);
const applied: number[] = await migrate(db);
const store = new Store(db);
const user = (name: string) =>
  store.users.createUser({ email: `${name}@example.com`, username: name, passwordHash: 'x' });
const [alice, bob, carol, dave, erin] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map(user));
const newChat = async (name: string | null, members: { id: string }[], direct = false): Promise<string> =>
  (await store.chats.createChat({ name, memberIds: members.map((m) => m.id), direct })).chatId;
const group = await newChat('old group', [alice, bob, carol]);
const direct = await newChat(null, [alice, bob], true);
const empty = await newChat('empty', [alice, erin]);
// A few milliseconds between writes, so that each has its own time.
const pause = () => new Promise((done) => setTimeout(done, 3));
const send = async (chatId: string, sender: { id: string }, text: string): Promise<{ id: string }> => {
  const result = await store.messages.insertMessage({
    chatId,
    senderId: sender.id,
    text,
    clientMessageId: `c-${text}`,
  });
  if (result.outcome !== 'created') throw new Error(`send refused: ${result.outcome}`);
  await pause();
  return result.message;
};

await send(group, alice, 'one');
const two = await send(group, bob, 'two');
const three = await send(group, carol, 'three');
await store.messages.insertMessages([
  { chatId: group, senderId: alice.id, text: 'four' },
  { chatId: direct, senderId: alice.id, text: 'hi' },
  { chatId: group, senderId: bob.id, text: 'five' },
]);
await pause();
const hello = await send(direct, bob, 'hello');
await store.messages.editMessage(two.id, bob.id, 'two, edited');
await store.messages.deleteMessage(three.id, carol.id);
await store.messages.editMessage(hello.id, bob.id, 'hello!');
await store.messages.markRead(group, carol.id, two.id);
await store.messages.markRead(direct, alice.id, hello.id);
// Older versions take no cap argument and ignore it.
await store.groups.addMembers(group, [dave.id, erin.id], 200);
await store.groups.removeMember(group, erin.id);
await send(group, dave, 'six, from dave');
await send(group, alice, 'seven');
// Versions with deleted accounts (migration 10): dave's message becomes a tombstone.
if (typeof store.users.deleteAccount === 'function') await store.users.deleteAccount(dave.id);

if (expectedPath) {
  const users = { alice, bob, carol, dave, erin };
  const chats = { group, direct, empty };
  const each = async <T>(keys: string[], read: (key: string) => Promise<T>) =>
    Object.fromEntries(await Promise.all(keys.map(async (key) => [key, await read(key)] as const)));
  const expected = {
    users: Object.fromEntries(Object.entries(users).map(([name, u]) => [name, u.id])),
    chats,
    listChats: await each(Object.keys(users), (name) => store.chats.listChats(users[name as keyof typeof users].id)),
    history: await each(Object.values(chats), (chatId) => store.messages.listMessages(chatId, alice.id, { limit: 50 })),
    changes: await each(Object.values(chats), (chatId) => store.messages.listChanges(chatId, 0, 50)),
  };
  writeFileSync(expectedPath, `${JSON.stringify(expected, null, 1)}\n`);
}
await db.close();
rmSync(tree, { recursive: true });

// Loadable anywhere: no SET lines (some are unknown to other versions), no comments, no schema names.
const dump = execFileSync('pg_dump', ['--no-owner', '--no-privileges', '--inserts', '--rows-per-insert=50', url], {
  encoding: 'utf8',
});
const body = dump
  .split('\n')
  .filter((line) => !/^(\\|SET |SELECT pg_catalog\.set_config|--)/.test(line))
  .join('\n')
  .replaceAll(/\bpublic\./g, '')
  .replaceAll(/\n{3,}/g, '\n\n')
  .trim();
writeFileSync(
  sqlPath,
  `-- A database at migration ${Math.max(...applied)}, as Parley's code at ${shortCommit} leaves it (made by make-snapshot.ts).\n\n${body}\n`,
);
