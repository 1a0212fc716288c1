/** The renderer's WebSocket transport against a real WebSocket server speaking the bridge protocol. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createWsApi, tokenFromLocation, type BridgeStatus } from '../../renderer/src/api/ws-client.js';
import type { BridgeRequest } from '../../shared/api.js';

let wss: WebSocketServer;
let port: number;
beforeAll(async () => {
  // Like `derpdesk host`, refuse a bad token at the HTTP upgrade (401), before any WebSocket opens.
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: (info: { req: { url?: string } }) => !!info.req.url?.includes('token=good') });
  await new Promise((r) => wss.once('listening', r));
  port = (wss.address() as { port: number }).port;
  wss.on('connection', (ws) => {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as BridgeRequest;
      if (m.call === 'relay.getState') ws.send(JSON.stringify({ id: m.id, ok: true, result: { status: 'stopped' } }));
      else ws.send(JSON.stringify({ id: m.id, ok: false, error: `nope: ${m.call}` }));
    });
    ws.send(JSON.stringify({ event: 'relay.state', payload: { status: 'starting' } }));
  });
});
afterAll(() => new Promise<void>((r) => wss.close(() => r())));

describe('WebSocket bridge client', () => {
  it('reads the token from the hash or the query', () => {
    expect(tokenFromLocation({ hash: '#token=abc', search: '' })).toBe('abc');
    expect(tokenFromLocation({ hash: '', search: '?token=xyz' })).toBe('xyz');
    expect(tokenFromLocation({ hash: '#relay', search: '' })).toBeNull();
  });

  it('matches responses to calls, rejects error results, and delivers events', async () => {
    const api = createWsApi(`ws://127.0.0.1:${port}/api?token=good`, WebSocket as unknown as typeof globalThis.WebSocket);
    const events: unknown[] = [];
    api.on('relay.state', (s) => events.push(s));
    expect(await api.call('relay.getState')).toEqual({ status: 'stopped' });
    await expect(api.call('relay.start')).rejects.toThrow('nope: relay.start');
    expect(events).toEqual([{ status: 'starting' }]);
    api.close();
  });

  it('reports refused after repeated rejections instead of retrying forever', async () => {
    const api = createWsApi(`ws://127.0.0.1:${port}/api?token=bad`, WebSocket as unknown as typeof globalThis.WebSocket);
    const seen: BridgeStatus[] = [];
    api.onStatus((s) => seen.push(s));
    await expect.poll(() => seen.at(-1), { timeout: 5000 }).toBe('refused');
    api.close();
  });
});
