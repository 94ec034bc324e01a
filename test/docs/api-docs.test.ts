import { readFile } from 'node:fs/promises';
import specs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ASYNCAPI_FILE, asyncApiDocument, clientEvents, serverEvents } from '../../src/docs/asyncapi.js';
import { openApiDocument } from '../../src/docs/openapi.js';
import { jsonSchemaOf } from '../../src/docs/wire-schemas.js';
import {
  chatPageQuerySchema,
  createChatSchema,
  deleteAccountSchema,
  historyQuerySchema,
  loginSchema,
  registerSchema,
  searchMessagesQuerySchema,
  syncSchema,
} from '../../src/protocol/schemas.js';
import { api, ask, closeSockets, connect, registerUser, sleep, startServer, type ClientSocket, type TestServer } from '../helpers/server.js';

type Doc = Record<string, any>;

/** A validator for `schema` whose `#/components/...` references resolve in `document`. */
function validatorIn(document: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  return (schema: Doc) => {
    const validate = ajv.compile({ ...schema, components: document.components });
    return (value: unknown) => {
      const valid = validate(value);
      return valid ? 'valid' : `${JSON.stringify(value)}: ${ajv.errorsText(validate.errors)}`;
    };
  };
}

describe('AsyncAPI document', () => {
  it('docs/asyncapi.yaml is the document generated from src/protocol (run `npm run docs` after changing events)', async () => {
    const file = parse(await readFile(ASYNCAPI_FILE, 'utf8')) as Doc;
    expect(file).toEqual(asyncApiDocument());
  });

  it('is valid against the official AsyncAPI 3.0.0 JSON Schema', async () => {
    // The bundled spec schema carries its own copy of draft-07's meta-schema.
    const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
    (addFormats as unknown as (ajv: Ajv) => void)(ajv);
    const validate = ajv.compile(specs.schemas['3.0.0'] as object);
    const file = parse(await readFile(ASYNCAPI_FILE, 'utf8')) as Doc;
    expect(validate(file), ajv.errorsText(validate.errors)).toBe(true);
    // … and the check does check: a broken copy is refused.
    expect(validate({ ...file, operations: { ...file.operations, typing: { action: 'shout' } } })).toBe(false);
  });

  it("names every event, each client event's payload with exactly the zod schema's fields", async () => {
    const file = parse(await readFile(ASYNCAPI_FILE, 'utf8')) as Doc;
    for (const [event, doc] of Object.entries(clientEvents)) {
      expect(file.operations[event]?.action, event).toBe('receive');
      const payload = file.components.messages[event].payload as Doc | undefined;
      const zodSchema = jsonSchemaOf(doc.payload);
      expect(Object.keys(payload?.properties ?? {}).sort(), event).toEqual(Object.keys(zodSchema.properties as Doc).sort());
      expect([...(payload?.required ?? [])].sort(), event).toEqual([...((zodSchema.required as string[]) ?? [])].sort());
      expect(file.operations[event].reply.messages[0].$ref).toBe(`#/channels/socket/messages/${event}_answer`);
    }
    for (const event of Object.keys(serverEvents)) expect(file.operations[event]?.action, event).toBe('send');
    // Every reference points at something in the document.
    const refs = JSON.stringify(file).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const pointer = JSON.parse(`{${ref}}`).$ref.slice(2).split('/');
      expect(pointer.reduce((node: Doc | undefined, key: string) => node?.[key], file), ref).toBeDefined();
    }
  });
});

const DOCS_ADMIN_TOKEN = `docs-admin-${'x'.repeat(32)}`;
const DOCS_MODERATOR_ID = '00000000-0000-4000-8000-00000000d0c5';

describe('API documentation against a running server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      ADMIN_TOKEN: DOCS_ADMIN_TOKEN,
      MODERATOR_IDS: DOCS_MODERATOR_ID,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
  });
  afterAll(async () => {
    closeSockets();
    await server?.close();
  });

  it('serves /docs (HTML, no external resources), /docs/openapi.json and /docs/asyncapi.yaml', async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('POST /auth/register');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect((await api(server, 'GET', '/docs/openapi.json')).body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const yaml = await fetch(`${server.url}/docs/asyncapi.yaml`);
    expect(parse(await yaml.text())).toEqual(asyncApiDocument());
  });

  it("OpenAPI request schemas are the routes' zod schemas", () => {
    const paths = openApiDocument().paths as Doc;
    const bodyOf = (path: string, method: string) => paths[path][method].requestBody.content['application/json'].schema;
    expect(bodyOf('/auth/register', 'post')).toEqual(jsonSchemaOf(registerSchema));
    expect(bodyOf('/auth/login', 'post')).toEqual(jsonSchemaOf(loginSchema));
    expect(bodyOf('/chats', 'post')).toEqual(jsonSchemaOf(createChatSchema));
    expect(bodyOf('/sync', 'post')).toEqual(jsonSchemaOf(syncSchema));
    expect(bodyOf('/users/me', 'delete')).toEqual(jsonSchemaOf(deleteAccountSchema));
    const queryOf = (path: string) => paths[path].get.parameters.filter((p: Doc) => p.in === 'query').map((p: Doc) => p.name);
    expect(queryOf('/chats/{id}/messages')).toEqual(Object.keys(historyQuerySchema.shape));
    expect(queryOf('/chats')).toEqual(Object.keys(chatPageQuerySchema.shape));
    expect(queryOf('/messages/search')).toEqual(Object.keys(searchMessagesQuerySchema.shape));
  });

  it('every documented route exists and its real answers match the documented responses', async () => {
    const document: Doc = openApiDocument();
    const validator = validatorIn(document);
    const checked = new Set<string>();
    async function call(method: string, template: string, path: string, options: Parameters<typeof api>[3] = {}) {
      const response = await api(server, method, path, options);
      const documented = document.paths[template]?.[method.toLowerCase()]?.responses?.[response.status];
      expect(documented, `${method} ${path} answered ${response.status} ${JSON.stringify(response.body)}`).toBeDefined();
      const schema = documented.content?.['application/json']?.schema;
      if (schema) expect(validator(schema)(response.body), `${method} ${path}`).toBe('valid');
      checked.add(`${method.toLowerCase()} ${template}`);
      return response;
    }

    const tag = Math.random().toString(36).slice(2, 8);
    const alice = (await call('POST', '/auth/register', '/auth/register', {
      body: { email: `docs-a-${tag}@example.com`, username: `docs_a_${tag}`, password: 'long enough password' },
    })).body;
    await call('POST', '/auth/register', '/auth/register', { body: { email: 'nope' } });
    await call('POST', '/auth/register', '/auth/register', {
      body: { email: `docs-a-${tag}@example.com`, username: `docs_a_${tag}`, password: 'long enough password' },
    });
    await call('POST', '/auth/login', '/auth/login', { body: { username: `docs_a_${tag}`, password: 'long enough password' } });
    await call('POST', '/auth/login', '/auth/login', { body: { username: `docs_a_${tag}`, password: 'wrong password' } });
    const bob = await registerUser(server, 'docs_b');
    const carol = await registerUser(server, 'docs_c');
    const token = alice.accessToken as string;
    await call('GET', '/users/me', '/users/me', { token });
    await call('GET', '/users/me', '/users/me');
    await call('GET', '/users', '/users?search=docs_', { token });
    await call('GET', '/users', '/users', { token });
    const direct = (await call('POST', '/chats', '/chats', { token, body: { userIds: [bob.user.id] } })).body.chat.id as string;
    await call('POST', '/chats', '/chats', { token, body: { userIds: [bob.user.id] } });
    const group = (await call('POST', '/chats', '/chats', { token, body: { userIds: [bob.user.id], name: 'Docs' } })).body.chat.id as string;
    await call('POST', '/chats/{id}/members', `/chats/${group}/members`, { token, body: { userIds: [carol.user.id] } });
    await call('POST', '/chats/{id}/members', `/chats/${direct}/members`, { token, body: { userIds: [carol.user.id] } });
    await call('GET', '/chats', '/chats', { token });
    const firstChat = (await call('GET', '/chats', '/chats?limit=1', { token })).body.nextBefore as string;
    await call('GET', '/chats', `/chats?before=${firstChat}`, { token });
    await call('GET', '/chats', '/chats?limit=0', { token });
    await call('GET', '/chats', '/chats?before=00000000-0000-4000-8000-000000000000', { token });
    await call('GET', '/chats/{id}/messages', `/chats/${direct}/messages?limit=5`, { token });
    await call('GET', '/chats/{id}/messages', `/chats/${direct}/messages?limit=500`, { token });
    await call('GET', '/chats/{id}/messages', `/chats/${direct}/messages`, { token: carol.token });
    const synced = await call('POST', '/sync', '/sync', {
      token,
      // A chat of the caller's and one that is not: an entry each, the second FORBIDDEN.
      body: { chats: [{ chatId: direct, version: 0 }, { chatId: '00000000-0000-4000-8000-000000000000', version: 0 }] },
    });
    expect(synced.status).toBe(200);
    expect(synced.body.chats.map((entry: Doc) => entry.success)).toEqual([true, false]);
    await call('POST', '/sync', '/sync', { token, body: { chats: [{ chatId: direct, version: -1 }] } });
    await call('POST', '/sync', '/sync', { body: { chats: [] } });
    // Files: one text file in multipart/form-data, sent with a message, read back.
    const boundary = `docs${tag}`;
    const multipart = (field: string, content: string) => ({
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--${boundary}--\r\n`,
    });
    const file = (await call('POST', '/files', '/files', { token, ...multipart('file', 'hello docs') })).body.file;
    await call('POST', '/files', '/files', { token, ...multipart('other', 'wrong field') });
    await call('POST', '/files', '/files', { token, ...multipart('file', '\u0000binary') });
    await call('POST', '/files', '/files', { token, body: { file: 'json' } });
    await call('POST', '/files', '/files', multipart('file', 'no token'));
    await call('GET', '/files/{id}', `/files/${file.id}`, { token });
    await call('GET', '/files/{id}', `/files/${file.id}`, { token, headers: { range: 'bytes=0-4' } });
    await call('GET', '/files/{id}', `/files/${file.id}`, { token, headers: { range: 'bytes=100-' } });
    await call('GET', '/files/{id}', `/files/${file.id}`, { token: bob.token });
    await call('GET', '/files/{id}', `/files/${file.id}`);
    await call('GET', '/files/{id}/thumbnail', `/files/${file.id}/thumbnail`, { token });
    await call('GET', '/files/{id}/thumbnail', `/files/${file.id}/thumbnail`);
    const aliceSocket = await connect(server, token);
    expect(await ask(aliceSocket, 'send_message', { chatId: direct, text: '', attachments: [file.id] })).toMatchObject({
      success: true,
    });
    aliceSocket.close();
    await call('GET', '/chats/{id}/messages', `/chats/${direct}/messages`, { token: bob.token });
    await call('GET', '/chats', '/chats', { token: bob.token });
    const searchingSocket = await connect(server, token);
    expect(await ask(searchingSocket, 'send_message', { chatId: direct, text: 'searchable docs message' })).toMatchObject({
      success: true,
    });
    const found = await call('GET', '/messages/search', '/messages/search?query=docs&limit=1', { token });
    expect(found.body.hits).toHaveLength(1);
    await call('GET', '/messages/search', '/messages/search?query=%20', { token });
    await call('GET', '/messages/search', `/messages/search?query=docs&chatId=${group}&before=${found.body.hits[0].message.id}`, {
      token,
    });
    await call('GET', '/messages/search', `/messages/search?query=docs&chatId=${direct}`, { token: carol.token });
    const carolSocket = await connect(server, carol.token);
    expect(await ask(carolSocket, 'send_message', { chatId: group, text: 'carol was here' })).toMatchObject({ success: true });
    // Reactions and pins on carol's message, before she deletes her account.
    const carolsMessage = (await call('GET', '/chats/{id}/messages', `/chats/${group}/messages`, { token })).body.messages[0].id as string;
    const reactions = `/messages/${carolsMessage}/reactions`;
    await call('POST', '/messages/{id}/reactions/{emoji}', `${reactions}/${encodeURIComponent('👍')}`, { token });
    await call('POST', '/messages/{id}/reactions/{emoji}', `${reactions}/%2B1`, { token: bob.token });
    await call('POST', '/messages/{id}/reactions/{emoji}', `${reactions}/not-an-emoji`, { token });
    await call('POST', '/messages/{id}/reactions/{emoji}', `/messages/00000000-0000-4000-8000-000000000000/reactions/ok`, { token });
    await call('DELETE', '/messages/{id}/reactions/{emoji}', `${reactions}/%2B1`, { token: bob.token });
    await call('POST', '/messages/{id}/pin', `/messages/${carolsMessage}/pin`, { token });
    await call('DELETE', '/messages/{id}/pin', `/messages/${carolsMessage}/pin`, { token });
    // A plain member of a group pins nothing (403); made an admin, bob may.
    await call('POST', '/messages/{id}/pin', `/messages/${carolsMessage}/pin`, { token: bob.token });
    const members = `/chats/${group}/members`;
    await call('PUT', '/chats/{id}/members/{userId}/role', `${members}/${bob.user.id}/role`, { token, body: { role: 'admin' } });
    await call('PUT', '/chats/{id}/members/{userId}/role', `${members}/${bob.user.id}/role`, { token, body: { role: 'king' } });
    await call('PUT', '/chats/{id}/members/{userId}/role', `${members}/${bob.user.id}/role`, { token: carol.token, body: { role: 'admin' } });
    await call('PUT', '/chats/{id}/members/{userId}/role', `${members}/not-a-member/role`, { token, body: { role: 'admin' } });
    await call('POST', '/messages/{id}/pin', `/messages/${carolsMessage}/pin`, { token: bob.token });
    await call('PATCH', '/chats/{id}', `/chats/${group}`, { token: bob.token, body: { name: 'Docs, renamed', membersCanAdd: true } });
    await call('PATCH', '/chats/{id}', `/chats/${group}`, { token: carol.token, body: { name: 'not yours' } });
    await call('PATCH', '/chats/{id}', `/chats/${group}`, { token, body: {} });
    const dave = await registerUser(server, 'docs_d');
    await call('POST', '/chats/{id}/members', members, { token, body: { userIds: [dave.user.id] } });
    await call('DELETE', '/chats/{id}/members/{userId}', `${members}/${dave.user.id}`, { token: carol.token });
    await call('DELETE', '/chats/{id}/members/{userId}', `${members}/${dave.user.id}`, { token: bob.token });
    await call('DELETE', '/chats/{id}/members/{userId}', `${members}/${dave.user.id}`, { token: bob.token });
    await call('DELETE', '/messages/{id}/pin', `/messages/00000000-0000-4000-8000-000000000000/pin`, { token });
    const pins = await call('GET', '/chats/{id}/pins', `/chats/${group}/pins`, { token });
    expect(pins.body.messages.map((m: Doc) => m.id)).toEqual([carolsMessage]);
    await call('GET', '/chats/{id}/pins', `/chats/${group}/pins`, { token: carol.token });
    await call('GET', '/chats/{id}/pins', `/chats/${direct}/pins`, { token: carol.token });
    await call('DELETE', '/chats/{id}/members/me', `/chats/${group}/members/me`, { token: carol.token });
    await call('DELETE', '/users/me', '/users/me', { token: carol.token });
    await call('DELETE', '/users/me', '/users/me', { token: carol.token, body: { password: 'not carol’s password' } });
    await call('DELETE', '/users/me', '/users/me', { token: carol.token, body: { password: carol.password } });
    await call('DELETE', '/users/me', '/users/me', { token: carol.token, body: { password: carol.password } });
    // A deleted account's message, as the chat list and history show it.
    const listed = await call('GET', '/chats', '/chats', { token });
    expect(JSON.stringify(listed.body)).toContain('[deleted]');
    await call('GET', '/chats/{id}/messages', `/chats/${group}/messages`, { token });
    // Blocks, reports, moderation and bots.
    const dan = await registerUser(server, 'docs_e');
    await call('POST', '/users/{id}/block', `/users/${dan.user.id}/block`, { token });
    await call('POST', '/users/{id}/block', `/users/${alice.user.id}/block`, { token });
    await call('POST', '/users/{id}/block', '/users/00000000-0000-4000-8000-000000000000/block', { token });
    await call('POST', '/users/{id}/block', `/users/${dan.user.id}/block`);
    await call('GET', '/users/me/blocks', '/users/me/blocks', { token });
    await call('GET', '/users/me/blocks', '/users/me/blocks');
    await call('DELETE', '/users/{id}/block', `/users/${dan.user.id}/block`, { token });
    await call('DELETE', '/users/{id}/block', `/users/${dan.user.id}/block`);
    await call('POST', '/chats/{id}/messages', `/chats/${group}/messages`, { token, body: { text: 'sent over HTTP' } });
    const removable = (await call('POST', '/chats/{id}/messages', `/chats/${group}/messages`, { token, body: { text: 'rude' } })).body.message.id;
    const report = `/messages/${removable}/report`;
    await call('POST', '/messages/{id}/report', report, { token: bob.token, body: { reason: 'docs report' } });
    await call('POST', '/messages/{id}/report', report, { token: bob.token, body: {} });
    await call('POST', '/messages/{id}/report', report, { token: dan.token, body: { reason: 'not my chat' } });
    await call('POST', '/messages/{id}/report', report, { body: { reason: 'no token' } });
    await call('POST', '/chats/{id}/messages', `/chats/${group}/messages`, { token, body: {} });
    await call('POST', '/chats/{id}/messages', `/chats/${group}/messages`, { token: dan.token, body: { text: 'x' } });
    await server.app.store.users['db'].query('INSERT INTO users (id, email, username) VALUES ($1, $2, $3)', [
      DOCS_MODERATOR_ID,
      `docs-mod-${tag}@example.com`,
      `docs_mod_${tag}`,
    ]);
    const moderator = await server.app.tokens.issue(DOCS_MODERATOR_ID);
    await call('POST', '/moderation/users/{id}/ban', `/moderation/users/${dan.user.id}/ban`, { token: moderator, body: { reason: 'docs' } });
    await call('POST', '/moderation/users/{id}/ban', `/moderation/users/${dan.user.id}/ban`, { token: moderator, body: {} });
    await call('POST', '/moderation/users/{id}/ban', '/moderation/users/00000000-0000-4000-8000-000000000000/ban', {
      token: moderator,
      body: { reason: 'docs' },
    });
    await call('GET', '/users/me', '/users/me', { token: dan.token });
    await call('POST', '/moderation/users/{id}/ban', `/moderation/users/${dan.user.id}/ban`, { token, body: { reason: 'docs' } });
    await call('POST', '/moderation/users/{id}/ban', `/moderation/users/${dan.user.id}/ban`, { body: { reason: 'docs' } });
    await call('DELETE', '/moderation/users/{id}/ban', `/moderation/users/${dan.user.id}/ban`, { token: moderator });
    await call('DELETE', '/moderation/users/{id}/ban', '/moderation/users/not-an-id/ban', { token: moderator });
    await call('DELETE', '/moderation/users/{id}/ban', `/moderation/users/${dan.user.id}/ban`, { token });
    await call('DELETE', '/moderation/messages/{id}', `/moderation/messages/${removable}`, { token: moderator });
    await call('DELETE', '/moderation/messages/{id}', '/moderation/messages/00000000-0000-4000-8000-000000000000', { token: moderator });
    await call('DELETE', '/moderation/messages/{id}', `/moderation/messages/${removable}`, { token });
    await call('POST', '/messages/{id}/report', report, { token: bob.token, body: { reason: 'deleted meanwhile' } });
    const reports = await call('GET', '/moderation/reports', '/moderation/reports?limit=1', { token: moderator });
    expect(reports.body.reports).toHaveLength(1);
    await call('GET', '/moderation/reports', '/moderation/reports?limit=0', { token: moderator });
    await call('GET', '/moderation/reports', '/moderation/reports', { token });
    await call('GET', '/moderation/audit', '/moderation/audit', { token: moderator });
    await call('GET', '/moderation/audit', '/moderation/audit?before=x', { token: moderator });
    await call('GET', '/moderation/audit', '/moderation/audit');
    const admin = { authorization: `Bearer ${DOCS_ADMIN_TOKEN}` };
    const bot = (await call('POST', '/admin/bots', '/admin/bots', { headers: admin, body: { username: `docs_bot_${tag}` } })).body;
    await call('POST', '/admin/bots', '/admin/bots', { headers: admin, body: { username: `docs_bot_${tag}` } });
    await call('POST', '/admin/bots', '/admin/bots', { headers: admin, body: {} });
    await call('POST', '/admin/bots', '/admin/bots', { body: { username: 'no_token' } });
    await call('GET', '/admin/bots', '/admin/bots', { headers: admin });
    await call('GET', '/admin/bots', '/admin/bots', { headers: { authorization: 'Bearer wrong' } });
    await call('POST', '/chats/{id}/messages', `/chats/${group}/messages`, { token: bot.apiKey, body: { text: 'not a member' } });
    await call('POST', '/admin/bots/{id}/keys', `/admin/bots/${bot.bot.id}/keys`, { headers: admin });
    await call('POST', '/admin/bots/{id}/keys', `/admin/bots/${alice.user.id}/keys`, { headers: admin });
    await call('DELETE', '/admin/bots/{id}/keys', `/admin/bots/${bot.bot.id}/keys`, { headers: admin });
    await call('DELETE', '/admin/bots/{id}/keys', `/admin/bots/${bot.bot.id}/keys`);
    await call('PUT', '/chats/{id}/mute', `/chats/${direct}/mute`, { token, body: { muted: true } });
    await call('PUT', '/chats/{id}/mute', `/chats/${direct}/mute`, { token, body: {} });
    await call('PUT', '/chats/{id}/mute', `/chats/${group}/mute`, { token: carol.token, body: { muted: true } });
    // Push: the key, a subscription kept and dropped, and refusals.
    await call('GET', '/push/vapid-public-key', '/push/vapid-public-key');
    const subscription = {
      endpoint: 'http://127.0.0.1:9/push/docs',
      keys: { p256dh: `B${'A'.repeat(86)}`, auth: 'a'.repeat(22) },
    };
    await call('POST', '/push/subscriptions', '/push/subscriptions', { token, body: subscription });
    await call('POST', '/push/subscriptions', '/push/subscriptions', { token, body: { endpoint: 'nope' } });
    await call('POST', '/push/subscriptions', '/push/subscriptions', { body: subscription });
    await call('DELETE', '/push/subscriptions', '/push/subscriptions', { token, body: { endpoint: subscription.endpoint } });
    await call('DELETE', '/push/subscriptions', '/push/subscriptions', { token, body: { endpoint: subscription.endpoint } });
    // Operators: a webhook registered (to a closed local port), listed, its history read, removed.
    const operator = { authorization: `Bearer ${DOCS_ADMIN_TOKEN}` };
    const hook = (await call('POST', '/admin/webhooks', '/admin/webhooks', {
      headers: operator,
      body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['message.created'] },
    })).body.webhook;
    await call('POST', '/admin/webhooks', '/admin/webhooks', { headers: operator, body: { url: 'http://127.0.0.1:9/' } });
    await call('POST', '/admin/webhooks', '/admin/webhooks', { body: { url: 'http://127.0.0.1:9/', eventTypes: ['chat.created'] } });
    await call('GET', '/admin/webhooks', '/admin/webhooks', { headers: operator });
    await call('GET', '/admin/webhooks', '/admin/webhooks', { headers: { authorization: 'Bearer wrong' } });
    await call('GET', '/admin/webhooks/{id}/deliveries', `/admin/webhooks/${hook.id}/deliveries?limit=5`, { headers: operator });
    await call('GET', '/admin/webhooks/{id}/deliveries', `/admin/webhooks/${hook.id}/deliveries?limit=0`, { headers: operator });
    await call('POST', '/admin/webhooks/{id}/deliveries/retry', `/admin/webhooks/${hook.id}/deliveries/retry`, { headers: operator });
    await call('POST', '/admin/webhooks/{id}/deliveries/{deliveryId}/retry', `/admin/webhooks/${hook.id}/deliveries/1/retry`, {
      headers: operator,
    });
    await call('DELETE', '/admin/webhooks/{id}', `/admin/webhooks/${hook.id}`, { headers: operator });
    await call('DELETE', '/admin/webhooks/{id}', `/admin/webhooks/${hook.id}`, { headers: operator });
    await call('GET', '/health', '/health');
    await call('GET', '/ready', '/ready');
    await call('GET', '/metrics', '/metrics');

    const documented = Object.entries(document.paths as Doc).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect([...checked].sort()).toEqual(documented.sort());
  });

  it("every client event's answers and every server event match the AsyncAPI document", async () => {
    const document: Doc = asyncApiDocument();
    const validator = validatorIn(document);
    const payloadOf = (message: string) => validator(document.components.messages[message].payload);

    const alice = await registerUser(server, 'async_a');
    const bob = await registerUser(server, 'async_b');
    const bobSocket = await connect(server, bob.token);
    // Bob's second socket never joins the chat: it gets `mentioned` where the first gets new_message.
    const bobElsewhere = await connect(server, bob.token);
    const seen = new Map<string, unknown[]>();
    for (const socket of [bobSocket, bobElsewhere]) {
      for (const event of Object.keys(serverEvents)) {
        (socket as unknown as { on(e: string, f: (p: unknown) => void): void }).on(event, (payload) => {
          seen.set(event, [...(seen.get(event) ?? []), payload]);
        });
      }
    }
    const aliceSocket = await connect(server, alice.token);
    const answers: [string, unknown][] = [];
    const send = async (socket: ClientSocket, event: string, ...args: unknown[]) => {
      const answer = await ask(socket, event, ...args);
      answers.push([event, answer]);
      return answer;
    };

    const chat = await api(server, 'POST', '/chats', { token: alice.token, body: { userIds: [bob.user.id], name: 'Async' } });
    const chatId = chat.body.chat.id as string;
    await send(bobSocket, 'join_chat', { chatId });
    await send(aliceSocket, 'join_chat', { chatId });
    await send(aliceSocket, 'join_chat', { chatId: 'not-a-chat' });
    // It mentions Bob: `mentions` is checked wherever the message appears, until the edit drops it.
    const { message } = await send(aliceSocket, 'send_message', { chatId, text: `hello docs, @${bob.user.username}` });
    expect(message.mentions).toEqual([bob.user.id]);
    // A reply: its quote is checked in the answer, new_message, history, the chat list and sync.
    const { message: reply } = await send(bobSocket, 'send_message', { chatId, text: 'a reply', replyTo: message.id });
    await send(aliceSocket, 'send_message', { chatId });
    // Reactions and pins on the reply, which stays: seen with `me` in answers and without in events.
    await send(aliceSocket, 'add_reaction', { messageId: reply.id, emoji: '👍' });
    await send(bobSocket, 'add_reaction', { messageId: reply.id, emoji: 'heart' });
    await send(aliceSocket, 'add_reaction', { messageId: reply.id, emoji: 'not an emoji' });
    await send(bobSocket, 'remove_reaction', { messageId: reply.id, emoji: 'heart' });
    await send(bobSocket, 'pin_message', { messageId: reply.id });
    await send(bobSocket, 'unpin_message', { messageId: reply.id });
    await send(aliceSocket, 'pin_message', { messageId: reply.id });
    await send(aliceSocket, 'pin_message', { messageId: '00000000-0000-4000-8000-000000000000' });
    await send(aliceSocket, 'unpin_message', { messageId: message.id });
    await send(aliceSocket, 'get_pinned_messages', { chatId });
    await send(aliceSocket, 'get_pinned_messages', { chatId: 'not-a-chat' });
    await send(aliceSocket, 'get_chat_messages', { chatId, limit: 10 });
    await send(aliceSocket, 'get_my_chats');
    await send(aliceSocket, 'get_my_chats', { limit: 1 });
    await send(aliceSocket, 'get_my_chats', { limit: 0 });
    await send(bobSocket, 'mark_read', { chatId, messageId: message.id });
    await send(aliceSocket, 'mark_read', { chatId, messageId: message.id });
    await send(aliceSocket, 'typing', { chatId });
    await send(aliceSocket, 'stop_typing', { chatId });
    await send(aliceSocket, 'edit_message', { messageId: message.id, text: 'hello, docs' });
    await send(bobSocket, 'mute_chat', { chatId, muted: true });
    await send(bobSocket, 'mute_chat', { chatId: 'not-a-chat', muted: true });
    await send(bobSocket, 'mute_chat', { chatId, muted: false });
    // Search: a hit with its snippet (the reply, whose quote is the target's text), and an error.
    const searched = await send(aliceSocket, 'search_messages', { query: 'reply', limit: 1 });
    expect(searched.hits).toHaveLength(1);
    await send(aliceSocket, 'search_messages', { query: '' });
    await send(bobSocket, 'report_message', { messageId: message.id, reason: 'docs' });
    await send(bobSocket, 'report_message', { messageId: message.id, reason: '' });
    await send(aliceSocket, 'delete_message', { messageId: message.id });
    // Catching up from version 0: the deleted message as its tombstone; a chat not the caller's is FORBIDDEN.
    const synced = await send(aliceSocket, 'sync', {
      chats: [{ chatId, version: 0 }, { chatId: '00000000-0000-4000-8000-000000000000', version: 0 }],
    });
    expect(synced.chats.map((entry: Doc) => entry.success)).toEqual([true, false]);
    await send(aliceSocket, 'sync', { chats: 'all of them' });
    const carol = await registerUser(server, 'async_c');
    await api(server, 'POST', `/chats/${chatId}/members`, { token: alice.token, body: { userIds: [carol.user.id] } });
    await send(aliceSocket, 'leave_chat', { chatId });
    await api(server, 'DELETE', `/chats/${chatId}/members/me`, { token: bob.token });
    aliceSocket.close();
    await sleep(300);

    for (const [event, answer] of answers) expect(payloadOf(`${event}_answer`)(answer), `${event} answer`).toBe('valid');
    expect(new Set(answers.map(([event]) => event))).toEqual(new Set(Object.keys(clientEvents)));
    for (const [event, payloads] of seen) {
      for (const payload of payloads) expect(payloadOf(event)(payload), event).toBe('valid');
    }
    // Presence depends on connection timing; every other server event must have been seen and checked.
    const expected = Object.keys(serverEvents).filter((e) => e !== 'user_online' && e !== 'user_offline');
    expect([...seen.keys()].filter((e) => expected.includes(e)).sort()).toEqual(expected.sort());
  });
});
