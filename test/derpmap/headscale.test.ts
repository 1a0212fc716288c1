/** headscale's config.yaml derp section, map merging the way headscale does it, and fetching maps by URL. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchMapError, fetchMap } from '../../electron/derpmap/fetch.js';
import { parseMap } from '../../electron/derpmap/formats.js';
import { parseHeadscaleConfig, updateHeadscaleConfig } from '../../electron/derpmap/headscale-config.js';
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
});
