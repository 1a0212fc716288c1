import { describe, expect, it } from 'vitest';
import { buildMapEntry } from '../../electron/app/map-entry.js';
import { StatsRing, type CounterSnapshot } from '../../electron/app/stats-sampler.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

const snap = (at: number, n: number): CounterSnapshot => ({
  at,
  bytesIn: n * 1000,
  bytesOut: n * 900,
  packetsIn: n * 10,
  packetsOut: n * 9,
  drops: n,
  clients: 3,
  stunRequests: n * 2,
});

describe('StatsRing', () => {
  it('turns counters into per-second rates and keeps the last 300 samples, oldest first', () => {
    const ring = new StatsRing();
    for (let i = 0; i <= 400; i++) ring.add(snap(i * 1000, i * i));
    const h = ring.history();
    expect(h.length).toBe(300);
    expect(h[0].t).toBe(101_000);
    expect(h[299].t).toBe(400_000);
    // From n=399² to n=400²: 799 units in one second.
    expect(h[299].bytesInPerSec).toBe(799_000);
    expect(h[299].packetsOutPerSec).toBe(799 * 9);
    expect(h[299].stunPerSec).toBe(799 * 2);
    expect(h[299].clients).toBe(3);
  });

  it('treats counters that go backwards (relay restarted) as starting from zero', () => {
    const ring = new StatsRing();
    ring.add(snap(0, 100));
    const s = ring.add(snap(2000, 4));
    expect(s.bytesInPerSec).toBe(2000);
  });
});

describe('DERP map entry', () => {
  it('writes headscale YAML and Tailscale JSON for this relay', () => {
    const s = {
      ...DEFAULT_SETTINGS,
      regionId: 901,
      regionCode: 'home',
      regionName: 'Home relay',
      hostName: 'derp.example.com',
      ipv4: '203.0.113.7',
      tlsMode: 'manual' as const,
      httpPort: 80,
    };
    const e = buildMapEntry(s, { derpPort: 443, stunPort: 3478 });
    expect(JSON.parse(e.json)).toEqual({
      Regions: {
        '901': {
          RegionID: 901,
          RegionCode: 'home',
          RegionName: 'Home relay',
          Nodes: [{ Name: '901a', RegionID: 901, HostName: 'derp.example.com', IPv4: '203.0.113.7', CanPort80: true }],
        },
      },
    });
    expect(e.yaml).toBe(
      [
        'regions:',
        '  901:',
        '    regionid: 901',
        '    regioncode: home',
        '    regionname: "Home relay"',
        '    nodes:',
        '      - name: 901a',
        '        regionid: 901',
        '        hostname: derp.example.com',
        '        ipv4: 203.0.113.7',
        '        stunport: 0',
        '        stunonly: false',
        '        derpport: 0',
        '        canport80: true',
        '',
      ].join('\n'),
    );
  });

  it('marks plain-HTTP relays InsecureForTests and writes non-default ports, STUN off as -1', () => {
    const e = buildMapEntry(DEFAULT_SETTINGS, { derpPort: 3340, stunPort: null });
    const node = JSON.parse(e.json).Regions['900'].Nodes[0];
    expect(node).toMatchObject({ DERPPort: 3340, STUNPort: -1, InsecureForTests: true });
    expect(e.yaml).toContain('        stunport: -1\n');
    expect(e.yaml).toContain('        insecurefortests: true\n');
  });
});
