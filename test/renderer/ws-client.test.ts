/** The renderer's WebSocket transport against a real WebSocket server speaking the bridge protocol. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  DISCONNECTED,
  REFUSED,
  bridgeUrl,
  createWsApi,
  tokenFromLocation,
  type BridgeStatus,
  type WsApi,
} from '../../renderer/src/api/ws-client.js';
import { BRIDGE_CLOSE_UNAUTHORIZED, type BridgeRequest } from '../../shared/api.js';

let wss: WebSocketServer;
let port: number;
const received: BridgeRequest[] = [];
/** Per connection, in order: the request URL and every message the client sent, auth included. */
const transcripts: Array<{ url: string; messages: unknown[] }> = [];
/** Set to turn every new connection away, as a host that is down would. */
let hostDown = false;

beforeAll(async () => {
  // A host that is down turns the upgrade away; one that is up wants the token in the first message, like
  // `derpdesk host`, and answers it late so that calls made meanwhile must wait for the answer.
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: () => !hostDown });
  await new Promise((r) => wss.once('listening', r));
  port = (wss.address() as { port: number }).port;
  wss.on('connection', (ws, req) => {
    const transcript = { url: req.url ?? '', messages: [] as unknown[] };
    transcripts.push(transcript);
    let authed = false;
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as BridgeRequest;
      transcript.messages.push(m);
      if (!authed) {
        if ((m as unknown as { auth?: string }).auth !== 'good')
          return ws.close(BRIDGE_CLOSE_UNAUTHORIZED, 'wrong token');
        authed = true;
        setTimeout(() => {
          ws.send(JSON.stringify({ authed: true }));
          ws.send(JSON.stringify({ event: 'relay.state', payload: { status: 'starting' } }));
        }, 30);
        return;
      }
      received.push(m);
      const reply = (v: object) => ws.send(JSON.stringify({ id: m.id, ...v }));
      switch (m.call) {
        case 'relay.getState':
          return reply({ ok: true, result: { status: 'stopped' } });
        case 'relay.mapEntry': // answered late, so responses arrive out of order
          return setTimeout(() => reply({ ok: true, result: { yaml: 'late', json: '{}' } }), 80);
        case 'settings.save':
          return reply({ ok: true, result: { echoed: m.args } });
        case 'relay.stats': // never answered: the test drops the connection meanwhile
          return;
        case 'peers.list':
          ws.send('this is not JSON');
          ws.send(JSON.stringify({ unrelated: true }));
          ws.send(JSON.stringify({ id: 99_999, ok: true, result: 'nobody asked' }));
          return reply({ ok: true, result: [] });
        default:
          return reply({ ok: false, error: `nope: ${m.call}` });
      }
    });
  });
});
afterAll(() => new Promise<void>((r) => wss.close(() => r())));

const apis: WsApi[] = [];
afterEach(() => {
  for (const a of apis.splice(0)) a.close();
  vi.restoreAllMocks();
});

function open(token = 'good'): WsApi {
  const api = createWsApi(`ws://127.0.0.1:${port}/api`, token, WebSocket as unknown as typeof globalThis.WebSocket, {
    minBackoffMs: 20,
    maxBackoffMs: 100,
  });
  apis.push(api);
  return api;
}

function statuses(api: WsApi): BridgeStatus[] {
  const seen: BridgeStatus[] = [];
  api.onStatus((s) => seen.push(s));
  return seen;
}

describe('WebSocket bridge client', () => {
  it('reads the token from the hash or the query, and builds the bridge URL on the same host, without the token', () => {
    expect(tokenFromLocation({ hash: '#token=abc', search: '' })).toBe('abc');
    expect(tokenFromLocation({ hash: '', search: '?token=xyz' })).toBe('xyz');
    expect(tokenFromLocation({ hash: '#token=', search: '' })).toBeNull();
    expect(tokenFromLocation({ hash: '#relay', search: '' })).toBeNull();
    expect(bridgeUrl({ protocol: 'http:', host: '10.1.2.3:8080' })).toBe('ws://10.1.2.3:8080/api');
    expect(bridgeUrl({ protocol: 'https:', host: 'relay.example.com' })).toBe('wss://relay.example.com/api');
  });

  it('sends the token as the first message only, and no call before the host lets it in', async () => {
    const before = transcripts.length;
    const api = open();
    const seen = statuses(api);
    expect(await api.call('relay.getState')).toEqual({ status: 'stopped' });
    const t = transcripts[before];
    expect(t.url).toBe('/api');
    expect(t.messages[0]).toEqual({ auth: 'good' });
    expect(t.messages.slice(1)).toEqual([{ id: 1, call: 'relay.getState', args: [] }]);
    expect(seen).toEqual(['connecting', 'open']);
  });

  it('sends {id, call, args}, matches out-of-order responses to calls, rejects error results, and delivers events', async () => {
    const api = open();
    const events: unknown[] = [];
    api.on('relay.state', (s) => events.push(s));
    // Made before the socket opens: waits for it.
    const late = api.call('relay.mapEntry');
    const early = api.call('relay.getState');
    const order: string[] = [];
    void late.then(() => order.push('relay.mapEntry'));
    void early.then(() => order.push('relay.getState'));
    expect(await early).toEqual({ status: 'stopped' });
    expect(await late).toEqual({ yaml: 'late', json: '{}' });
    expect(order).toEqual(['relay.getState', 'relay.mapEntry']);
    await expect(api.call('relay.start')).rejects.toThrow('nope: relay.start');
    const saved = await api.call('settings.save', { listenAddr: ':443' } as never);
    expect(saved).toEqual({ echoed: [{ listenAddr: ':443' }] });
    const sent = received.filter((r) => r.call === 'settings.save').at(-1)!;
    expect(typeof sent.id).toBe('number');
    expect(sent.args).toEqual([{ listenAddr: ':443' }]);
    expect(events).toEqual([{ status: 'starting' }]);
  });

  it('ignores malformed and unrelated messages, and isolates a failing listener', async () => {
    const api = open();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const got: unknown[] = [];
    api.on('relay.state', () => {
      throw new Error('listener bug');
    });
    const off = api.on('relay.state', (s) => got.push(s));
    expect(await api.call('peers.list')).toEqual([]);
    expect(got).toEqual([{ status: 'starting' }]);
    expect(errors).toHaveBeenCalled();
    off();
    expect(await api.call('relay.getState')).toEqual({ status: 'stopped' });
  });

  it('rejects calls in flight when the connection drops, fails calls at once while down, reconnects and works again', async () => {
    const api = open();
    const seen = statuses(api);
    const events: unknown[] = [];
    api.on('relay.state', (s) => events.push(s));
    await api.call('relay.getState');
    const hanging = api.call('relay.stats');
    await expect.poll(() => received.some((r) => r.call === 'relay.stats')).toBe(true);
    for (const c of wss.clients) c.terminate();
    await expect(hanging).rejects.toThrow(DISCONNECTED);
    await expect.poll(() => seen.at(-1)).toBe('open');
    expect(seen).toContain('closed');
    expect(seen.indexOf('closed')).toBeGreaterThan(seen.indexOf('open'));
    expect(await api.call('relay.getState')).toEqual({ status: 'stopped' });
    // Events keep flowing to the same listeners after the reconnect.
    expect(events.length).toBe(2);

    // While the host is down, calls fail at once instead of hanging; retries go on until it is back.
    hostDown = true;
    try {
      for (const c of wss.clients) c.terminate();
      await expect.poll(() => seen.at(-1)).toBe('closed');
      const t0 = Date.now();
      await expect(api.call('relay.getState')).rejects.toThrow(DISCONNECTED);
      expect(Date.now() - t0).toBeLessThan(50);
      await new Promise((r) => setTimeout(r, 300)); // several failed retries: still 'closed', not 'refused'
      expect(seen.at(-1)).toBe('closed');
    } finally {
      hostDown = false;
    }
    await expect.poll(() => seen.at(-1)).toBe('open');
    expect(await api.call('relay.getState')).toEqual({ status: 'stopped' });
  });

  it('reports refused at the first token rejection instead of retrying, and fails waiting calls', async () => {
    const before = transcripts.length;
    const api = open('bad');
    const seen = statuses(api);
    const waiting = api.call('relay.getState');
    await expect(waiting).rejects.toThrow(REFUSED);
    expect(seen).toEqual(['connecting', 'refused']);
    await expect(api.call('relay.getState')).rejects.toThrow(REFUSED);
    expect(transcripts.slice(before).map((t) => t.messages)).toEqual([[{ auth: 'bad' }]]);
  });

  it('reports refused after repeated failures to connect at all', async () => {
    hostDown = true;
    try {
      const api = open();
      const seen = statuses(api);
      await expect(api.call('relay.getState')).rejects.toThrow(REFUSED);
      expect(seen).toEqual(['connecting', 'refused']);
    } finally {
      hostDown = false;
    }
  });

  it('close() stops reconnecting and rejects what is pending', async () => {
    const api = open();
    const seen = statuses(api);
    await api.call('relay.getState');
    const hanging = api.call('relay.stats');
    await expect.poll(() => received.filter((r) => r.call === 'relay.stats').length).toBeGreaterThan(1);
    api.close();
    await expect(hanging).rejects.toThrow('closed');
    await expect(api.call('relay.getState')).rejects.toThrow('closed');
    await new Promise((r) => setTimeout(r, 150));
    expect(seen.at(-1)).toBe('open'); // no reconnect attempt after close
    expect([...wss.clients].length).toBe(0);
  });
});
