/** DERP map files: headscale YAML and Tailscale JSON, round trips that keep comments, and validation messages. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MapParseError, parseMap, serializeMap } from '../../electron/derpmap/formats.js';
import { validateMap } from '../../shared/derpmap/validate.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('headscale derp.yaml', () => {
  const text = fixture('headscale-derp.yaml');

  it('reads every field, integer region keys, and keeps unknown keys', () => {
    const { map, format } = parseMap(text, 'derp.yaml');
    expect(format).toBe('yaml');
    expect(Object.keys(map.Regions)).toEqual(['900', '901']);
    expect(map.Regions['900']).toMatchObject({
      RegionID: 900,
      RegionCode: 'fra',
      RegionName: 'Frankfurt self-hosted',
      Latitude: 50.11,
      Longitude: 8.68,
    });
    expect(map.Regions['900'].Nodes[0]).toEqual({
      Name: '900a',
      RegionID: 900,
      HostName: 'derp-fra-1.example.com',
      IPv4: '203.0.113.10',
      IPv6: '2001:db8::10',
      STUNPort: 0,
      STUNOnly: false,
      DERPPort: 0,
    });
    expect(map.Regions['901'].Nodes[0]).toMatchObject({
      CertName: expect.stringMatching(/^sha256-raw:/),
      STUNPort: -1,
      DERPPort: 8443,
      CanPort80: true,
      extra: { futurefield: 'keep me' },
    });
  });

  it('writes back byte for byte when nothing changed', () => {
    const loaded = parseMap(text, 'derp.yaml');
    expect(serializeMap(loaded.map, 'yaml', loaded.source)).toBe(text);
  });

  it('changes only the edited values when the structure is the same, byte for byte elsewhere', () => {
    const loaded = parseMap(text, 'derp.yaml');
    loaded.map.Regions['900'].Nodes[1].IPv4 = '203.0.113.12';
    loaded.map.Regions['900'].RegionName = 'Frankfurt, DE';
    loaded.map.Regions['901'].Nodes[0].DERPPort = 443;
    const out = serializeMap(loaded.map, 'yaml', loaded.source);
    const a = text.split('\n');
    const b = out.split('\n');
    expect(b.length).toBe(a.length);
    expect(b.filter((l, i) => l !== a[i])).toEqual([
      '    regionname: "Frankfurt, DE"',
      '        ipv4: 203.0.113.12',
      '        derpport: 443',
    ]);
    expect(parseMap(out, 'derp.yaml').map).toEqual(loaded.map);
  });

  it('keeps comments and order when regions are added or removed, with integer region keys', () => {
    const loaded = parseMap(text, 'derp.yaml');
    loaded.map.Regions['900'].Nodes[1].IPv4 = '203.0.113.12';
    loaded.map.Regions['902'] = {
      RegionID: 902,
      RegionCode: 'nyc',
      RegionName: 'New York',
      Nodes: [{ Name: '902a', RegionID: 902, HostName: 'derp-nyc.example.com' }],
    };
    delete loaded.map.Regions['901'];
    const out = serializeMap(loaded.map, 'yaml', loaded.source);
    expect(out).toContain('# derp.yaml for our headscale tailnet');
    expect(out).toMatch(/regioncode: fra +# Frankfurt/);
    expect(out).toContain('      # primary\n');
    expect(out).toContain('        ipv4: 203.0.113.12\n');
    expect(out).not.toContain('901');
    expect(out).toMatch(/\n {2}902:\n {4}regionid: 902\n/);
    expect(parseMap(out, 'derp.yaml').map).toEqual(loaded.map);
  });

  it('moves a renumbered region to its new key with its comments, and its nodes follow', () => {
    const { map } = parseMap(text, 'derp.yaml');
    const fra = map.Regions['900'];
    delete map.Regions['900'];
    fra.RegionID = 905;
    for (const n of fra.Nodes) n.RegionID = 905;
    map.Regions['905'] = fra;
    const out = serializeMap(map, 'yaml', text);
    const lines = out.split('\n');
    expect(lines.slice(0, 12)).toEqual([
      "# derp.yaml for our headscale tailnet (headscale's derp.paths)",
      '# Keep region ids in 900-999.',
      'regions:',
      '  905:',
      '    regionid: 905',
      '    regioncode: fra # Frankfurt',
      '    regionname: Frankfurt self-hosted',
      '    latitude: 50.11',
      '    longitude: 8.68',
      '    nodes:',
      '      # primary',
      '      - name: 900a',
    ]);
    expect(out).not.toMatch(/^ {2}900:/m);
    expect(parseMap(out, 'derp.yaml').map).toEqual(map);
  });

  it('moves a region whose id and code both changed, when it is the only move', () => {
    const commented = text.replace('  901:\n', '  # west coast\n  901:\n');
    const { map } = parseMap(commented, 'derp.yaml');
    const sfo = map.Regions['901'];
    delete map.Regions['901'];
    Object.assign(sfo, { RegionID: 910, RegionCode: 'sjc' });
    sfo.Nodes[0].RegionID = 910;
    map.Regions['910'] = sfo;
    const out = serializeMap(map, 'yaml', commented);
    expect(out).toContain('  # west coast\n  910:\n    regionid: 910\n    regioncode: sjc\n');
    expect(out).toContain('        futurefield: keep me');
    expect(parseMap(out, 'derp.yaml').map).toEqual(map);
  });

  // "Add this relay" then "Replace region 900 instead": a different region under the same id.
  const relayRegion = (id: number) => ({
    RegionID: id,
    RegionCode: 'derpdesk',
    RegionName: 'derpdesk relay',
    Nodes: [{ Name: `${id}a`, RegionID: id, HostName: 'relay.example.net', DERPPort: 8443 }],
  });

  it('writes a region replaced under its id without the old region’s comments', () => {
    const commented = text.replace('  901:\n', '  # west coast\n  901:\n');
    const { map } = parseMap(commented, 'derp.yaml');
    map.Regions['900'] = relayRegion(900);
    map.Regions['901'] = relayRegion(901);
    map.Regions['901'].Nodes[0].HostName = 'relay2.example.net';
    const out = serializeMap(map, 'yaml', commented);
    expect(out).toContain('  900:\n    regionid: 900\n    regioncode: derpdesk\n    regionname: derpdesk relay\n');
    expect(out).toContain('  901:\n    regionid: 901\n    regioncode: derpdesk\n');
    expect(out).not.toMatch(/Frankfurt|# primary|west coast/);
    expect(out).toContain('# Keep region ids in 900-999.\n');
    expect(parseMap(out, 'derp.yaml').map).toEqual(map);
  });

  it('drops the comments of a replaced region even when every other value could be edited in place', () => {
    const { map } = parseMap(text, 'derp.yaml');
    Object.assign(map.Regions['900'], { RegionCode: 'muc', RegionName: 'Munich' });
    map.Regions['900'].Nodes.forEach((n, i) => (n.HostName = `derp-muc-${i}.example.com`));
    const out = serializeMap(map, 'yaml', text);
    expect(out).toContain('    regioncode: muc\n');
    expect(out).not.toContain('# primary');
  });

  it('keeps the comments of a region whose code changed but whose nodes stayed', () => {
    const { map } = parseMap(text, 'derp.yaml');
    map.Regions['900'].RegionCode = 'fra2';
    const out = serializeMap(map, 'yaml', text);
    expect(out).toContain('    regioncode: fra2   # Frankfurt\n');
    expect(out).toContain('      # primary\n');
  });

  it('gives a deleted region’s comments to no region added in the same save', () => {
    const { map } = parseMap(text, 'derp.yaml');
    delete map.Regions['900'];
    map.Regions['950'] = relayRegion(950);
    const out = serializeMap(map, 'yaml', text);
    expect(out).toContain('  950:\n    regionid: 950\n    regioncode: derpdesk\n');
    expect(out).not.toMatch(/Frankfurt|# primary|^ {2}900:/m);
    expect(parseMap(out, 'derp.yaml').map).toEqual(map);
  });

  it('reports broken YAML with line and column and does not guess', () => {
    const broken = text.replace('    regioncode: sfo\n', '    regioncode: [sfo\n');
    try {
      parseMap(broken, 'derp.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MapParseError);
      expect((err as MapParseError).line).toBeGreaterThan(25);
      expect((err as Error).message).toMatch(/^derp\.yaml:\d+:\d+: /);
    }
  });
});

describe('Tailscale JSON', () => {
  it('converts YAML to JSON with tailcfg field names and back without loss', () => {
    const fromYaml = parseMap(fixture('headscale-derp.yaml'), 'derp.yaml').map;
    const json = serializeMap(fromYaml, 'json');
    const parsed = JSON.parse(json);
    expect(parsed.Regions['901'].Nodes[0]).toMatchObject({
      Name: '901a',
      HostName: '198.51.100.7',
      STUNPort: -1,
      DERPPort: 8443,
      CanPort80: true,
      futurefield: 'keep me',
    });
    expect(parseMap(json, 'map.json').map).toEqual(fromYaml);
    expect(parseMap(serializeMap(fromYaml, 'yaml'), 'x.yaml').map).toEqual(fromYaml);
  });

  it('reads omitDefaultRegions and HomeParams, and is case-insensitive like Go', () => {
    const m = parseMap(
      '{"HomeParams":{"RegionScore":{"900":0.5}},"omitDefaultRegions":true,"regions":{"900":{"regionid":900,"RegionCode":"x","Nodes":[]}}}',
    ).map;
    expect(m.OmitDefaultRegions).toBe(true);
    expect(m.HomeParams?.RegionScore).toEqual({ '900': 0.5 });
    expect(m.Regions['900'].RegionID).toBe(900);
    expect(JSON.parse(serializeMap(m, 'json')).omitDefaultRegions).toBe(true);
  });

  it('reports broken JSON with a position', () => {
    expect(() => parseMap('{"Regions": {\n  "900": {,}\n}}', 'map.json')).toThrow(/^map\.json:2:\d+: not valid JSON/);
  });
});

describe('validation', () => {
  it('accepts the fixture with only the expected warnings', () => {
    const issues = validateMap(parseMap(fixture('headscale-derp.yaml')).map);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(issues.map((i) => i.message)).toEqual([
      'region 900 has 2 nodes: they must mesh (same mesh key, -mesh-with) or clients on different nodes cannot reach each other',
      'region 901 has a single node: no failover within the region',
      'node "901a": unknown field "futurefield" (kept as is)',
    ]);
  });

  it('points at the region, node and field of each mistake', () => {
    const { map } = parseMap(`regions:
  900:
    regionid: 901
    regioncode: a
    nodes:
      - name: n1
        regionid: 902
        hostname: "bad host"
        ipv4: 300.1.1.1
        ipv6: "fe80::zz"
        derpport: 70000
        stunport: -2
        certname: sha256-raw:abc
  5:
    regionid: 5
    regioncode: a
    latitude: 95
    nodes:
      - name: n1
        regionid: 5
        hostname: ok.example.com
`);
    const msgs = validateMap(map).map((i) => `${i.severity} ${i.path}: ${i.message}`);
    expect(msgs).toEqual([
      "warning Regions.5.RegionID: region 5 is outside 900-999, the range reserved for your own regions; it may clash with Tailscale's",
      'warning Regions.5.RegionName: region 5 has no RegionName (clients show it to users)',
      'error Regions.5.Latitude: Latitude must be between -90 and 90',
      'warning Regions.5.Nodes: region 5 has a single node: no failover within the region',
      'error Regions.900.RegionID: RegionID 901 differs from its key 900 in Regions',
      'error Regions.900.RegionCode: RegionCode "a" is also used by region 5',
      'warning Regions.900.RegionName: region 900 has no RegionName (clients show it to users)',
      'warning Regions.900.Nodes: region 900 has a single node: no failover within the region',
      'error Regions.900.Nodes[0].Name: node "n1" is also the name of a node in region 5',
      'error Regions.900.Nodes[0].RegionID: node "n1" has RegionID 902 but is in region 901',
      'error Regions.900.Nodes[0].HostName: node "n1": HostName "bad host" is not a valid host name or IP address',
      'error Regions.900.Nodes[0].IPv4: node "n1": IPv4 "300.1.1.1" is not an IPv4 address (or "none")',
      'error Regions.900.Nodes[0].IPv6: node "n1": IPv6 "fe80::zz" is not an IPv6 address (or "none")',
      'error Regions.900.Nodes[0].DERPPort: node "n1": DERPPort 70000 is out of range (0 = 443, up to 65535)',
      'error Regions.900.Nodes[0].STUNPort: node "n1": STUNPort -2 is out of range (-1 disables, 0 = 3478)',
      'error Regions.900.Nodes[0].CertName: node "n1": CertName "sha256-raw:abc" must be sha256-raw: followed by 64 hex characters',
    ]);
  });

  it('gives one message per bad field, the type first, and marks the single-node warning', () => {
    const { map } = parseMap(
      '{"Regions":{"900":{"RegionID":900,"RegionCode":"x","RegionName":"X","Latitude":"north","Nodes":[{"Name":"a","RegionID":900,"HostName":"x.example.com","STUNPort":"abc","DERPPort":"x"}]}}}',
    );
    const issues = validateMap(map).filter((i) => i.severity === 'error');
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'Regions.900.Latitude: Latitude must be a number, got "north"',
      'Regions.900.Nodes[0].STUNPort: node "a": STUNPort must be a number, got "abc"',
      'Regions.900.Nodes[0].DERPPort: node "a": DERPPort must be a number, got "x"',
    ]);
    expect(validateMap(map).find((i) => i.message.includes('single node'))?.kind).toBe('single-node');
  });

  it('warns that a single region is a single point of failure', () => {
    const { map } = parseMap(
      '{"Regions":{"900":{"RegionID":900,"RegionCode":"x","RegionName":"X","Nodes":[{"Name":"a","RegionID":900,"HostName":"x.example.com"}]}}}',
    );
    expect(validateMap(map).map((i) => i.message)).toContain(
      'only one region: if its relay is down, clients that need a relay cannot connect (a single point of failure)',
    );
  });
});

describe('a large multi-region map', () => {
  // Shaped like Tailscale's default map: many regions, several nodes each, IPv4 and IPv6, coordinates.
  const big = {
    Regions: Object.fromEntries(
      Array.from({ length: 30 }, (_, r) => {
        const id = 900 + r;
        return [
          String(id),
          {
            RegionID: id,
            RegionCode: `r${id}`,
            RegionName: `Region ${id}`,
            Latitude: -60 + r * 4,
            Longitude: -170 + r * 11,
            Nodes: Array.from({ length: 3 }, (_, n) => ({
              Name: `${id}${'abc'[n]}`,
              RegionID: id,
              HostName: `derp${id}${'abc'[n]}.example.net`,
              IPv4: `198.51.${r}.${n + 1}`,
              IPv6: n === 2 ? 'none' : `2001:db8:${r.toString(16)}::${n + 1}`,
              ...(n === 1 ? { STUNPort: 3479, DERPPort: 8443 } : {}),
            })),
          },
        ];
      }),
    ),
  };

  it('round-trips JSON -> YAML -> JSON without loss and validates without errors', () => {
    const fromJson = parseMap(JSON.stringify(big), 'big.json').map;
    const yaml = serializeMap(fromJson, 'yaml');
    const back = parseMap(yaml, 'big.yaml');
    expect(back.map).toEqual(fromJson);
    expect(parseMap(serializeMap(back.map, 'json'), 'big.json').map).toEqual(fromJson);
    expect(validateMap(fromJson).filter((i) => i.severity === 'error')).toEqual([]);
    const edited = structuredClone(back.map);
    edited.Regions['915'].Nodes[2].HostName = 'moved.example.net';
    const out = serializeMap(edited, 'yaml', back.source);
    expect(out.split('\n').filter((l, i) => l !== yaml.split('\n')[i])).toEqual([
      '        hostname: moved.example.net',
    ]);
  });

  it('handles edge shapes: no regions, IPv6-only nodes, STUN-only nodes', () => {
    expect(validateMap(parseMap('regions: {}\n').map).map((i) => i.message)).toEqual(['the map has no regions']);
    const m = parseMap(
      'regions:\n  900:\n    regionid: 900\n    regioncode: v6\n    regionname: V6\n    nodes:\n      - name: s\n        regionid: 900\n        hostname: stun.example.com\n        ipv4: none\n        ipv6: "2001:db8::1"\n        stunonly: true\n',
    ).map;
    expect(validateMap(m).filter((i) => i.severity === 'error')).toEqual([]);
  });
});
