// @vitest-environment happy-dom
/** Which transport the renderer picks at start, and what it does with the access token. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TOKEN_KEY, pickTransport } from '../../renderer/src/api/index.js';
import { FakeApi } from './fake-api.js';

const opened: string[] = [];
const sockets: FakeSocket[] = [];
class FakeSocket extends EventTarget {
  readyState = 0;
  readonly sent: string[] = [];
  constructor(readonly url: string) {
    super();
    opened.push(url);
    sockets.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {}
}

const setUrl = (url: string) => (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(url);

beforeEach(() => {
  opened.length = 0;
  sockets.length = 0;
  sessionStorage.clear();
  vi.stubGlobal('WebSocket', FakeSocket);
});
afterEach(() => {
  vi.unstubAllGlobals();
  delete (window as unknown as { derpdesk?: unknown }).derpdesk;
});

describe('pickTransport', () => {
  it('uses the Electron preload when window.derpdesk exists', () => {
    const api = new FakeApi({});
    (window as unknown as { derpdesk: unknown }).derpdesk = api;
    setUrl('file:///app/index.html');
    const t = pickTransport();
    expect(t.kind).toBe('electron');
    expect(t.kind === 'electron' && t.api).toBe(api);
    expect(opened).toEqual([]);
  });

  it('otherwise opens the bridge on the same host, sends the token from the hash in its first message, and hides the token', () => {
    setUrl('http://10.0.0.5:8443/#token=s3cr%2Bt');
    const t = pickTransport();
    expect(t.kind).toBe('web');
    expect(opened).toEqual(['ws://10.0.0.5:8443/api']);
    expect(window.location.href).toBe('http://10.0.0.5:8443/#relay');
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('s3cr+t');
    sockets[0].readyState = 1;
    sockets[0].dispatchEvent(new Event('open'));
    expect(sockets[0].sent).toEqual([JSON.stringify({ auth: 's3cr+t' })]);
    // A reload (no token in the URL any more) keeps working from sessionStorage.
    expect(pickTransport().kind).toBe('web');
    expect(opened[1]).toBe('ws://10.0.0.5:8443/api');
  });

  it('accepts ?token= too, and uses wss: on https pages', () => {
    setUrl('https://relay.example.com/?token=abc&x=1');
    expect(pickTransport().kind).toBe('web');
    expect(opened).toEqual(['wss://relay.example.com/api']);
    expect(window.location.href).toBe('https://relay.example.com/?x=1#relay');
  });

  it('reports a missing token instead of connecting', () => {
    setUrl('http://127.0.0.1:8080/');
    expect(pickTransport()).toEqual({ kind: 'no-token' });
    expect(opened).toEqual([]);
  });
});
