import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawPeer, startRelay, type TestRelay } from '../helpers/relay.js';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay.stop();
});

function get(path: string, opts: { method?: string; headers?: Record<string, string>; host?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(
      { host: opts.host ?? '127.0.0.1', port: relay.port, path, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('relay HTTP endpoints', () => {
  it("answers /derp without an upgrade with 426 and derper's body", async () => {
    const r = await get('/derp');
    expect(r.status).toBe(426);
    expect(r.body).toBe('DERP requires connection upgrade\n');
  });

  it('serves /derp/probe and /derp/latency-check to GET and HEAD with CORS, 405 otherwise', async () => {
    for (const p of ['/derp/probe', '/derp/latency-check']) {
      for (const method of ['GET', 'HEAD']) {
        const r = await get(p, { method });
        expect(r.status).toBe(200);
        expect(r.body).toBe('');
        expect(r.headers['access-control-allow-origin']).toBe('*');
      }
      expect((await get(p, { method: 'POST' })).status).toBe(405);
    }
  });

  it('answers /generate_204 with the no-cache header and echoes a valid challenge', async () => {
    const plain = await get('/generate_204');
    expect(plain.status).toBe(204);
    expect(plain.headers['cache-control']).toBe('no-cache, no-store, must-revalidate, no-transform, max-age=0');
    expect(plain.headers['x-tailscale-response']).toBeUndefined();
    const ok = await get('/generate_204', { headers: { 'X-Tailscale-Challenge': 'ts_my-host.example:1' } });
    expect(ok.headers['x-tailscale-response']).toBe('response ts_my-host.example:1');
    const bad = await get('/generate_204', { headers: { 'X-Tailscale-Challenge': 'bad challenge!' } });
    expect(bad.status).toBe(204);
    expect(bad.headers['x-tailscale-response']).toBeUndefined();
    const long = await get('/generate_204', { headers: { 'X-Tailscale-Challenge': 'a'.repeat(65) } });
    expect(long.headers['x-tailscale-response']).toBeUndefined();
  });

  it('serves a home page, robots.txt, and 404 elsewhere', async () => {
    const home = await get('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('DERP');
    const robots = await get('/robots.txt');
    expect(robots.body).toBe('User-agent: *\nDisallow: /\n');
    expect((await get('/nope')).status).toBe(404);
  });

  it("serves /debug/varz with derper's metric names to loopback clients", async () => {
    const r = await get('/debug/varz');
    expect(r.status).toBe(200);
    for (const name of [
      'derp_accepts',
      'derp_current_connections',
      'derp_bytes_received',
      'derp_packets_sent',
      'derp_peer_gone_not_here_frames',
    ]) {
      expect(r.body).toMatch(new RegExp(`^${name} \\d+$`, 'm'));
    }
    expect(r.body).toContain('derp_packets_dropped{kind="disco",reason="unknown_dest"} 0');
  });
});

/** Sends raw bytes and returns everything the relay answers before closing (or '' if it just hangs up). */
async function rawExchange(bytes: string): Promise<string> {
  const p = await RawPeer.connect(relay.port);
  p.write(bytes);
  await p.waitClosed(5000);
  return p.buf.toString('latin1');
}

describe('relay HTTP hardening', () => {
  it('refuses /debug/varz to a loopback request relayed by a proxy (X-Forwarded-For), as derper does', async () => {
    const r = await get('/debug/varz', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    expect(r.status).toBe(403);
    expect(r.body).toBe('debug access denied\n');
    expect((await get('/debug/varz')).status).toBe(200);
  });

  it.each(['/%', '/%zz', '/derp%', 'http://[', 'http://[::1', '*', 'derp'])(
    'answers 400 to the malformed target %s, plain and as an upgrade',
    async (target) => {
      expect(await rawExchange(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(
        /^HTTP\/1\.1 400 /,
      );
      expect(
        await rawExchange(`GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n`),
      ).toMatch(/^HTTP\/1\.1 400 /);
    },
  );

  it('serves an absolute-form target by its path, as Go does', async () => {
    expect(
      await rawExchange(`GET http://relay.example/robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 200 [\s\S]*Disallow: \//);
    const p = await RawPeer.connect(relay.port);
    p.write(`GET http://relay.example/derp HTTP/1.1\r\nHost: x\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n`);
    expect(await p.readHttpHead()).toMatch(/^HTTP\/1\.1 101 /);
    p.socket.destroy();
  });

  it('answers 431 to oversized headers and 400 to a broken request line', async () => {
    expect(await rawExchange(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 << 10)}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 431 /,
    );
    expect(await rawExchange('GARBAGE\x00\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
  });
});
