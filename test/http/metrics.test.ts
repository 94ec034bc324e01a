import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, ask, closeSockets, connect, startServer, type TestServer } from '../helpers/server.js';
import { sample } from '../helpers/metrics.js';
import { chatPair, sendOk, waitFor } from '../helpers/socket-fixtures.js';

/** Issue 5 §5 (README "Monitoring"): GET /metrics in the Prometheus text format. */

describe('GET /metrics', () => {
  let server: TestServer;
  const scrape = async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_MESSAGES_PER_SECOND: '1', RATE_LIMIT_MESSAGE_BURST: '1' });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await server.close();
  });

  it('counts connected sockets, events by name and outcome, send latency, limits and the database', async () => {
    const { chatId, aliceSocket } = await chatPair(server, { join: true });
    await sendOk(aliceSocket, chatId, 'one');
    expect(await ask(aliceSocket, 'send_message', { chatId, text: 'two' })).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await ask(aliceSocket, 'join_chat', { chatId: 42 })).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await ask(aliceSocket, 'nope')).toMatchObject({ code: 'VALIDATION_ERROR' });

    const text = await scrape();
    expect(sample(text, 'parley_connected_sockets')).toBe(2);
    expect(sample(text, 'parley_socket_events_total', { event: 'send_message', outcome: 'success' })).toBe(1);
    expect(sample(text, 'parley_socket_events_total', { event: 'send_message', outcome: 'RATE_LIMITED' })).toBe(1);
    expect(sample(text, 'parley_socket_events_total', { event: 'join_chat', outcome: 'success' })).toBe(2);
    expect(sample(text, 'parley_socket_events_total', { event: 'join_chat', outcome: 'VALIDATION_ERROR' })).toBe(1);
    expect(sample(text, 'parley_socket_events_total', { event: 'unknown', outcome: 'VALIDATION_ERROR' })).toBe(1);
    expect(sample(text, 'parley_send_message_commit_seconds_count')).toBe(1);
    expect(sample(text, 'parley_send_message_commit_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(sample(text, 'parley_rate_limited_total', { limit: 'message' })).toBe(1);
    expect(sample(text, 'parley_rate_limited_total', { limit: 'connection' })).toBe(0);
    expect(sample(text, 'parley_db_operations_in_progress', { kind: 'transaction' })).toBe(0);
    expect(sample(text, 'parley_db_operation_seconds_count', { kind: 'query' })).toBeGreaterThan(0);
    expect(sample(text, 'parley_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('follows sockets going away, and never names a client-chosen event', async () => {
    const { aliceSocket, bobSocket, alice } = await chatPair(server);
    const extra = await connect(server, alice.token);
    await ask(extra, `evil_${'x'.repeat(40)}`);
    await waitFor(() => server.app.io.of('/').sockets.size === 3);
    expect(sample(await scrape(), 'parley_connected_sockets')).toBe(3);
    aliceSocket.close();
    bobSocket.close();
    await waitFor(() => server.app.io.of('/').sockets.size === 1);
    const text = await scrape();
    expect(sample(text, 'parley_connected_sockets')).toBe(1);
    expect(text).not.toContain('evil_');
  });

  it('is plain text without a token, not the JSON envelope', async () => {
    const response = await api(server, 'GET', '/metrics');
    expect(response.status).toBe(200);
    expect(typeof response.body).toBe('string');
    expect(response.body).toContain('# TYPE parley_socket_events_total counter');
  });
});
