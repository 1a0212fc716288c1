/** headscale's config.yaml derp section, map merging the way headscale does it, and fetching maps by URL. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchMapError, fetchMap } from '../../electron/derpmap/fetch.js';
import { parseMap } from '../../electron/derpmap/formats.js';
import {
  derpSectionSpan,
  parseHeadscaleConfig,
  updateHeadscaleConfig,
} from '../../electron/derpmap/headscale-config.js';
import { validateHeadscaleDerp } from '../../shared/derpmap/headscale.js';
import { embeddedRegion, mergeMaps } from '../../electron/derpmap/merge.js';

const fixture = (n: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', n), 'utf8');

describe('headscale config.yaml', () => {
  it('reads the derp section and server_url', () => {
    const c = parseHeadscaleConfig(fixture('headscale-config.yaml'));
    expect(c.serverUrl).toBe('https://hs.example.com:8443');
    expect(c.derp.server).toMatchObject({
      enabled: true,
      region_id: 999,
      stun_listen_addr: '0.0.0.0:3478',
      ipv4: '198.51.100.1',
    });
    expect(c.derp.urls).toEqual(['https://controlplane.tailscale.com/derpmap/default']);
    expect(c.derp.paths).toEqual(['/etc/headscale/derp.yaml']);
  });

  it('edits the derp section and leaves every other byte of the file alone', () => {
    const text = fixture('headscale-config.yaml');
    const c = parseHeadscaleConfig(text);
    const out = updateHeadscaleConfig(text, {
      ...c.derp,
      server: { ...c.derp.server, region_id: 998 },
      auto_update_enabled: false,
    });
    const changed = out.split('\n').filter((l, i) => l !== text.split('\n')[i]);
    expect(changed).toEqual(['    region_id: 998', '  auto_update_enabled: false']);
    expect(out).toContain('  magic_dns: true   # keep me exactly\n');
  });
});

describe('editing the derp section of config.yaml', () => {
  const text = fixture('headscale-config.yaml');
  const withTail = `${text}\n# the end\noidc:\n  client_secret: "s3cret"   # aligned\n`;

  it('adds and removes list items and keys, keeping every byte outside the section', () => {
    const c = parseHeadscaleConfig(withTail);
    const out = updateHeadscaleConfig(withTail, {
      ...c.derp,
      server: { ...c.derp.server, ipv6: '2001:db8::1', verify_clients: false },
      urls: [],
      paths: ['/etc/headscale/derp.yaml', 'derp-extra.yaml'],
      update_frequency: '3h',
    });
    const span = derpSectionSpan(withTail)!;
    const outSpan = derpSectionSpan(out)!;
    expect(out.slice(0, outSpan.start)).toBe(withTail.slice(0, span.start));
    expect(out.slice(outSpan.end)).toBe(withTail.slice(span.end));
    expect(parseHeadscaleConfig(out).derp).toEqual({
      ...c.derp,
      server: { ...c.derp.server, ipv6: '2001:db8::1', verify_clients: false },
      urls: [],
      paths: ['/etc/headscale/derp.yaml', 'derp-extra.yaml'],
      update_frequency: '3h',
    });
    expect(out).toContain('    # If enabled, runs the embedded DERP server');
  });

  it('adds a derp section to a config without one, leaving the rest alone', () => {
    const plain = 'server_url: https://hs.example.com\n# keep\n';
    const out = updateHeadscaleConfig(plain, { paths: ['/etc/headscale/derp.yaml'] });
    expect(out).toBe(`${plain}\nderp:\n  paths:\n    - /etc/headscale/derp.yaml\n`);
  });

  it('validates each field with one message that names it', () => {
    expect(validateHeadscaleDerp(parseHeadscaleConfig(text).derp)).toEqual({});
    expect(
      validateHeadscaleDerp({
        server: {
          enabled: true,
          region_id: 0,
          region_code: 7 as unknown as string,
          ipv4: '1.2.3',
          ipv6: 'nope',
          verify_clients: 'yes' as unknown as boolean,
        },
        urls: ['https://ok.example.com/map', 'ftp://x'],
        paths: ['a.yaml', ''],
        auto_update_enabled: 'true' as unknown as boolean,
        update_frequency: '1 day',
      }),
    ).toEqual({
      'server.region_id': 'server.region_id must be a whole number from 1, got 0',
      'server.region_code': 'server.region_code must be a string, got 7',
      'server.ipv4': 'server.ipv4 "1.2.3" is not an IPv4 address',
      'server.ipv6': 'server.ipv6 "nope" is not an IPv6 address',
      'server.verify_clients': 'server.verify_clients must be true or false, got "yes"',
      'server.stun_listen_addr': 'headscale needs a STUN address when the embedded DERP server is enabled',
      urls: 'urls line 2: "ftp://x" is not an http:// or https:// URL',
      paths: 'paths line 2 is empty or not text',
      auto_update_enabled: 'auto_update_enabled must be true or false, got "true"',
      update_frequency: 'update_frequency "1 day" is not a duration such as 24h, 1h30m or 90s',
    });
    expect(validateHeadscaleDerp({ server: { stun_listen_addr: '[::]:3478' } })).toEqual({});
    expect(validateHeadscaleDerp({ server: { stun_listen_addr: '0.0.0.0' } })).toEqual({
      'server.stun_listen_addr':
        'server.stun_listen_addr "0.0.0.0" must be address:port, e.g. 0.0.0.0:3478 or [::]:3478',
    });
  });
});

describe('merging like headscale', () => {
  const map = (id: number, host: string) =>
    parseMap(
      JSON.stringify({
        Regions: {
          [id]: {
            RegionID: id,
            RegionCode: `r${id}`,
            RegionName: host,
            Nodes: [{ Name: `${id}a`, RegionID: id, HostName: host }],
          },
        },
      }),
    ).map;

  it('takes urls, then paths, the last region with an id winning, and the embedded region last', () => {
    const c = parseHeadscaleConfig(fixture('headscale-config.yaml'));
    const merged = mergeMaps(
      [
        {
          origin: 'https://controlplane.tailscale.com/derpmap/default',
          map: { Regions: { ...map(1, 'derp1.tailscale.com').Regions, ...map(900, 'old.example.com').Regions } },
        },
        {
          origin: '/etc/headscale/derp.yaml',
          map: { Regions: { ...map(900, 'new.example.com').Regions, ...map(999, 'shadowed.example.com').Regions } },
        },
      ],
      embeddedRegion(c),
    );
    expect(Object.keys(merged.map.Regions)).toEqual(['1', '900', '999']);
    expect(merged.map.Regions['900'].Nodes[0].HostName).toBe('new.example.com');
    expect(merged.origins).toEqual({
      '1': 'https://controlplane.tailscale.com/derpmap/default',
      '900': '/etc/headscale/derp.yaml',
      '999': 'headscale embedded DERP server',
    });
    expect(merged.map.Regions['999'].Nodes[0]).toEqual({
      Name: '999',
      RegionID: 999,
      HostName: 'hs.example.com',
      IPv4: '198.51.100.1',
      STUNPort: 3478,
      STUNOnly: false,
      DERPPort: 8443,
    });
  });

  it('adds no embedded region when the server is off', () => {
    expect(embeddedRegion({ serverUrl: 'https://x', derp: { server: { enabled: false } } })).toBeNull();
  });
});

describe('fetching a map', () => {
  let srv: http.Server;
  let base: string;
  beforeAll(async () => {
    srv = http.createServer((req, res) => {
      if (req.url === '/derpmap/default')
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(
            '{"Regions":{"1":{"RegionID":1,"RegionCode":"nyc","RegionName":"New York City","Nodes":[{"Name":"1a","RegionID":1,"HostName":"derp1.example.com"}]}}}',
          );
      else if (req.url === '/huge') res.writeHead(200).end(Buffer.alloc(2 << 20, 0x20));
      else if (req.url === '/slow') setTimeout(() => res.end('{}'), 2000);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    srv.closeAllConnections();
    return new Promise<void>((r) => srv.close(() => r()));
  });

  it('reads a JSON map from a URL', async () => {
    const m = await fetchMap(`${base}/derpmap/default`);
    expect(m.map.Regions['1'].RegionCode).toBe('nyc');
  });

  it('says what went wrong: HTTP status, size limit, timeout', async () => {
    await expect(fetchMap(`${base}/missing`)).rejects.toThrow(`cannot fetch ${base}/missing: HTTP 404 Not Found`);
    await expect(fetchMap(`${base}/huge`, { maxBytes: 1 << 20 })).rejects.toThrow('larger than 1048576 bytes');
    await expect(fetchMap(`${base}/slow`, { timeoutMs: 200 })).rejects.toThrow(FetchMapError);
  });

  it('says in words why a host could not be reached, not as an error code', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/derpmap/default`;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(fetchMap(url)).rejects.toThrow(
      `cannot fetch ${url}: connection refused (nothing listens on that port)`,
    );
    // .invalid never resolves (RFC 2606), with or without a network.
    await expect(fetchMap('http://derp.invalid/derpmap/default')).rejects.toThrow(
      /: the name does not resolve|DNS lookup failed/,
    );
  });
});
