/**
 * The probe kinds the lab does not cover: STUN over IPv6 beside IPv4 (udp6 and udp, judged apart), the optional
 * bandwidth probe on its own slower interval, and a map URL re-read when what it serves changes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Monitor } from '../../electron/monitor/monitor.js';
import { DERPPROBE_INTERVALS } from '../../electron/monitor/probes.js';
import { StunServer } from '../../electron/stun/server.js';
import type { DerpMap, DerpNode } from '../../shared/derpmap/model.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const node = (name: string, regionId: number, over: Partial<DerpNode>): DerpNode => ({
  Name: name,
  RegionID: regionId,
  HostName: '127.0.0.1',
  ...over,
});
const mapOf = (...regions: Array<[id: number, code: string, nodes: DerpNode[]]>): DerpMap => ({
  Regions: Object.fromEntries(
    regions.map(([id, code, nodes]) => [
      String(id),
      { RegionID: id, RegionCode: code, RegionName: code, Nodes: nodes },
    ]),
  ),
});

async function relay(): Promise<TestRelay> {
  const r = await startRelay();
  cleanups.push(() => r.stop());
  return r;
}

/** STUN on ::1 and on 127.0.0.1 at one port number, each family stoppable on its own. */
async function dualStackStun(): Promise<{ port: number; v4: StunServer; v6: StunServer }> {
  const v6 = new StunServer();
  await v6.start([{ host: '::1', port: 0 }]);
  const port = v6.addresses()[0].port;
  const v4 = new StunServer();
  await v4.start([{ host: '127.0.0.1', port }]);
  cleanups.push(
    () => v6.stop(),
    () => v4.stop(),
  );
  return { port, v4, v6 };
}

function monitor(source: ConstructorParameters<typeof Monitor>[0]['source'], iv: Partial<typeof DERPPROBE_INTERVALS>) {
  const m = new Monitor({
    source,
    guard: async (f) => f,
    intervals: { ...DERPPROBE_INTERVALS, tlsMs: 0, meshMs: 0, stunMs: 0, ...iv },
  });
  cleanups.push(() => m.stop());
  return m;
}

describe('monitor probe kinds', () => {
  it('probes STUN over IPv6 and IPv4 apart, and bandwidth on its own interval', async () => {
    const r = await relay();
    const stun = await dualStackStun();
    const map = mapOf([950, 'dual', [node('950a', 950, { IPv6: '::1', DERPPort: r.port, STUNPort: stun.port })]]);
    const m = monitor(
      { kind: 'map', map, label: 'dual stack', scheme: 'http' },
      { stunMs: 1000, bwMs: 2500, bwBytes: 200_000 },
    );
    await m.start();
    const probe = (name: string) => m.snapshot().probes.find((p) => p.name === name);
    expect(m.snapshot().probes.map((p) => [p.name, p.class, p.intervalMs])).toEqual([
      ['derpmap-probe', 'derp_map', DERPPROBE_INTERVALS.mapMs],
      ['derp/dual/950a/udp6', 'derp_udp', 1000],
      ['derp/dual/950a/udp', 'derp_udp', 1000],
      ['derp/dual/950a/950a/bw', 'derp_bw', 2500],
    ]);
    expect(probe('derp/dual/950a/udp6')?.labels.address_family).toBe('ipv6');
    expect(probe('derp/dual/950a/950a/bw')?.labels).toMatchObject({ derp_path: 'single', tcp_in_tcp: 'false' });
    const names = ['derp/dual/950a/udp6', 'derp/dual/950a/udp', 'derp/dual/950a/950a/bw'];
    await eventually(() => names.every((n) => probe(n)?.ok === true), 15_000, 'every probe passing').catch(
      (err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(names.map((n) => [n, probe(n)?.ok, probe(n)?.error]))}`);
      },
    );

    await stun.v6.stop();
    await eventually(() => probe('derp/dual/950a/udp6')?.ok === false, 15_000, 'udp6 failing');
    expect(probe('derp/dual/950a/udp6')?.error).toMatch(/no STUN reply from \[?::1\]?/);
    expect(probe('derp/dual/950a/udp')?.ok).toBe(true);
  }, 40_000);

  it('re-reads a map URL and follows what it serves now', async () => {
    let map = mapOf([960, 'one', [node('960a', 960, { STUNPort: 9 })]]);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(map));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/derpmap.json`;
    const m = monitor({ kind: 'url', url }, { mapMs: 300, stunMs: 60_000 });
    await m.start();
    const names = () => m.snapshot().probes.map((p) => p.name);
    expect(names()).toEqual(['derpmap-probe', 'derp/one/960a/udp']);

    map = mapOf([961, 'two', [node('961a', 961, { STUNPort: 9 }), node('961b', 961, { STUNPort: 9 })]]);
    await eventually(() => names().includes('derp/two/961b/udp'), 10_000, 'the new map probed');
    expect(names()).toEqual(['derpmap-probe', 'derp/two/961a/udp', 'derp/two/961b/udp']);
    expect(m.snapshot().nodes.map((n) => n.node)).toEqual(['961a', '961b']);
  }, 30_000);
});
