/** The map editor's actions against the fake API: edits, undo, export, "Add this relay", and errors kept in state. */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  hasUnsavedEdits,
  headscaleSnippet,
  relayOfferNow,
  useMapStore,
  visibleIssues,
} from '../../renderer/src/map/store.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { FakeApi } from './fake-api.js';

const INITIAL = useMapStore.getState();
const MAP: DerpMap = {
  Regions: {
    '900': {
      RegionID: 900,
      RegionCode: 'fra',
      RegionName: 'Frankfurt',
      Nodes: [
        { Name: '900a', RegionID: 900, HostName: 'a.example.com' },
        { Name: '900b', RegionID: 900, HostName: 'b.example.com', IPv4: '203.0.113.2' },
      ],
    },
  },
};

function setup(over: Partial<Record<string, (...a: unknown[]) => unknown>> = {}) {
  const api = new FakeApi({
    'map.open': () => ({ map: structuredClone(MAP), format: 'yaml', text: 'text', path: '/etc/derp.yaml', issues: [] }),
    'map.export': (m, f) => `${f}:${Object.keys((m as DerpMap).Regions).join(',')}`,
    'relay.mapEntry': () => ({
      yaml: '',
      json: JSON.stringify({
        Regions: {
          '950': {
            RegionID: 950,
            RegionCode: 'me',
            RegionName: 'me',
            Nodes: [{ Name: '950a', RegionID: 950, HostName: 'me.example.com' }],
          },
        },
      }),
    }),
    ...over,
  });
  useMapStore.getState().setApi(api);
  return api;
}
const relayEntry = (id: number, code: string, host: string) => ({
  yaml: '',
  json: JSON.stringify({
    Regions: {
      [id]: {
        RegionID: id,
        RegionCode: code,
        RegionName: 'me',
        Nodes: [{ Name: `${id}a`, RegionID: id, HostName: host, DERPPort: 8443 }],
      },
    },
  }),
});
const s = () => useMapStore.getState();
const names = () => s().map!.Regions['900'].Nodes.map((n) => n.Name);

beforeEach(() => useMapStore.setState(INITIAL, true));

describe('map store', () => {
  it('opens a map, selects its first region, and keeps the export current', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    expect(s().selectedRegion).toBe('900');
    await expect.poll(() => s().exportText).toBe('yaml:900');
    s().setExportFormat('headscale');
    expect(s().exportText).toBe(headscaleSnippet('/etc/derp.yaml'));
    s().setExportFormat('json');
    s().addRegion();
    await expect.poll(() => s().exportText).toBe('json:900,901');
  });

  it('moves, duplicates and deletes nodes, selecting where they land, with undo and redo', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    s().moveNode('900', 1, 0);
    expect(names()).toEqual(['900b', '900a']);
    expect(s().selectedNode).toBe(0);
    s().moveNode('900', 0, -1); // out of range: nothing
    expect(names()).toEqual(['900b', '900a']);
    s().duplicateNode('900', 0);
    expect(names()).toEqual(['900b', '900c', '900a']);
    expect(s().map!.Regions['900'].Nodes[1].IPv4).toBe('203.0.113.2');
    s().deleteNode('900', 2);
    expect(names()).toEqual(['900b', '900c']);
    expect(s().selectedNode).toBeNull();
    s().undo();
    s().undo();
    expect(names()).toEqual(['900b', '900a']);
    s().redo();
    expect(names()).toEqual(['900b', '900c', '900a']);
    s().addNode('900');
    expect(names()).toEqual(['900b', '900c', '900a', '900d']);
  });

  it('sets and clears region and node fields, keeping the required ones', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    s().setNodeField('900', 1, 'IPv4', undefined);
    expect('IPv4' in s().map!.Regions['900'].Nodes[1]).toBe(false);
    s().setNodeField('900', 1, 'HostName', undefined);
    expect(s().map!.Regions['900'].Nodes[1].HostName).toBe('');
    s().setNodeField('900', 0, 'IPv4', '203.0.113.300');
    expect(s().issues.some((i) => i.severity === 'error' && i.field === 'IPv4')).toBe(true);
    s().setRegionField('900', 'RegionName', undefined);
    expect('RegionName' in s().map!.Regions['900']).toBe(false);
  });

  it('duplicates a region under a fresh id and names, and deletes one', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    s().duplicateRegion('900');
    const copy = s().map!.Regions['901'];
    expect(copy.RegionCode).toBe('region901');
    expect(copy.Nodes.map((n) => [n.Name, n.RegionID])).toEqual([
      ['901a', 901],
      ['901b', 901],
    ]);
    s().deleteRegion('900');
    expect(Object.keys(s().map!.Regions)).toEqual(['901']);
    expect(s().selectedRegion).toBeNull();
  });

  it('adds this relay from its map entry', async () => {
    const api = setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    await s().addThisRelay();
    expect(api.names()).toContain('relay.mapEntry');
    expect(Object.keys(s().map!.Regions)).toEqual(['900', '950']);
    expect(s().selectedRegion).toBe('950');
    expect(s().message).toEqual({ kind: 'ok', text: 'Added this relay as region 950' });
  });

  it('adds this relay under a free id when its region id is taken, leaving the existing region as it was', async () => {
    setup({ 'relay.mapEntry': () => relayEntry(900, 'fra', 'relay.example.net') });
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    await s().addThisRelay();
    expect(s().map!.Regions['900']).toEqual(MAP.Regions['900']);
    expect(s().map!.Regions['901']).toEqual({
      RegionID: 901,
      RegionCode: 'fra-901',
      RegionName: 'me',
      Nodes: [{ Name: '901a', RegionID: 901, HostName: 'relay.example.net', DERPPort: 8443 }],
    });
    expect(s().message?.text).toBe(
      "Added this relay as region 901: region 900 (Frankfurt) was already in the map and is unchanged; its RegionCode is fra-901, as the relay's code was taken",
    );
    expect(s().issues.filter((i) => i.severity === 'error')).toEqual([]);
    s().undo();
    expect(Object.keys(s().map!.Regions)).toEqual(['900']);
  });

  it('replaces the region with the taken id only when asked, after adding under a free id', async () => {
    setup({ 'relay.mapEntry': () => relayEntry(900, 'fra', 'relay.example.net') });
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    await s().addThisRelay();
    expect(s().relayOffer).toMatchObject({ addedId: '901', replaceId: '900' });
    s().replaceWithRelay();
    expect(Object.keys(s().map!.Regions)).toEqual(['900']);
    expect(s().map!.Regions['900']).toEqual({
      RegionID: 900,
      RegionCode: 'fra',
      RegionName: 'me',
      Nodes: [{ Name: '900a', RegionID: 900, HostName: 'relay.example.net', DERPPort: 8443 }],
    });
    expect(s().message?.text).toBe('Replaced region 900 (Frankfurt) with this relay; Undo brings it back');
    expect(s().relayOffer).toBeNull();
    s().undo();
    expect(s().map!.Regions['900']).toEqual(MAP.Regions['900']);
  });

  it('withdraws the offer to replace once the map it was made for is undone or another map is opened', async () => {
    setup({ 'relay.mapEntry': () => relayEntry(900, 'fra', 'relay.example.net') });
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    await s().addThisRelay();
    expect(relayOfferNow(s())).toMatchObject({ addedId: '901', replaceId: '900' });
    s().undo();
    expect(relayOfferNow(s())).toBeNull();
    s().redo();
    await s().addThisRelay();
    // Another map, with a region 901 of its own: the old offer must not delete it.
    const other = structuredClone(MAP);
    other.Regions['901'] = { RegionID: 901, RegionCode: 'sfo', RegionName: 'SF', Nodes: [] };
    const api = setup({ 'relay.mapEntry': () => relayEntry(900, 'fra', 'relay.example.net') });
    api.answers['map.open'] = () => ({
      map: structuredClone(other),
      format: 'yaml',
      text: '',
      path: '/b.yaml',
      issues: [],
    });
    await s().open({ kind: 'file', path: '/b.yaml' });
    expect(relayOfferNow(s())).toBeNull();
    s().replaceWithRelay();
    expect(s().map).toEqual(other);
    expect(s().past).toEqual([]);
  });

  it('does not add this relay twice', async () => {
    setup({ 'relay.mapEntry': () => relayEntry(900, 'fra', 'relay.example.net') });
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    await s().addThisRelay();
    await s().addThisRelay();
    expect(Object.keys(s().map!.Regions)).toEqual(['900', '901']);
    expect(s().past.length).toBe(1);
    expect(s().message?.text).toBe(
      'This relay is already in the map as region 901 (same host and port); nothing was added',
    );
  });

  it('renumbers a region: the key moves, its nodes follow, and a taken or bad id is refused on the field', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    s().addRegion();
    s().setRegionId('900', '905');
    expect(Object.keys(s().map!.Regions)).toEqual(['901', '905']);
    expect(s().map!.Regions['905'].RegionID).toBe(905);
    expect(s().map!.Regions['905'].Nodes.map((n) => n.RegionID)).toEqual([905, 905]);
    expect(s().selectedRegion).toBe('905');
    expect(s().issues.filter((i) => i.severity === 'error')).toEqual([]);
    s().setRegionId('905', '901');
    expect(Object.keys(s().map!.Regions)).toEqual(['901', '905']);
    expect(s().idDraft).toEqual({
      region: '905',
      text: '901',
      problem: 'region 901 (region901) already exists; pick a free id such as 900',
    });
    s().setRegionId('905', 'abc');
    expect(s().idDraft?.problem).toBe('RegionID must be a whole number above 0');
    s().setRegionId('905', '907');
    expect(s().idDraft).toBeNull();
    expect(Object.keys(s().map!.Regions)).toEqual(['901', '907']);
    // 905, refused ids, then 907: one edit of the field, undone at once.
    s().undo();
    expect(Object.keys(s().map!.Regions)).toEqual(['900', '901']);
    expect(s().selectedRegion).toBe('900');
  });

  it('renumbers as the id is typed in one undo step, and undo and redo keep the region selected', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    for (const typed of ['9', '90', '905']) s().setRegionId(s().selectedRegion!, typed);
    expect(Object.keys(s().map!.Regions)).toEqual(['905']);
    expect(s().past.length).toBe(1);
    s().select('905', 1);
    s().undo();
    expect(Object.keys(s().map!.Regions)).toEqual(['900']);
    expect([s().selectedRegion, s().selectedNode]).toEqual(['900', 1]);
    s().redo();
    expect([s().selectedRegion, s().selectedNode]).toEqual(['905', 1]);
  });

  it('makes typing into one field one undo step, and starts a new step for another field or a new map', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    for (const typed of ['x', 'x.', 'x.net']) s().setNodeField('900', 0, 'HostName', typed);
    s().setNodeField('900', 0, 'IPv4', '203.0.113.9');
    s().setNodeField('900', 1, 'IPv4', '203.0.113.7');
    expect(s().past.length).toBe(3);
    s().undo();
    s().undo();
    expect(s().map!.Regions['900'].Nodes[0]).toEqual({ Name: '900a', RegionID: 900, HostName: 'x.net' });
    s().undo();
    expect(s().map!.Regions['900'].Nodes[0].HostName).toBe('a.example.com');
    // After undo, typing on in the same field is a step of its own, as it is after opening a map.
    s().setNodeField('900', 0, 'HostName', 'y');
    expect(s().past.length).toBe(1);
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    s().setNodeField('900', 0, 'HostName', 'yz');
    s().undo();
    expect(s().map!.Regions['900'].Nodes[0].HostName).toBe('a.example.com');
  });

  it('dismisses the single-node warning of one region, for as long as the app runs', async () => {
    setup();
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    s().addRegion();
    const single = () => visibleIssues(s()).filter((i) => i.kind === 'single-node');
    expect(single().map((i) => i.regionId)).toEqual([901]);
    s().dismissSingleNode('901');
    expect(single()).toEqual([]);
    expect(s().issues.some((i) => i.kind === 'single-node')).toBe(true);
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    s().addRegion();
    expect(single()).toEqual([]);
  });

  it('saves a new map as a file, previewing the diff first, and then counts no unsaved edits', async () => {
    const api = setup({
      'map.diff': () => '+regions: {}',
      'map.save': (req) => ({ ok: true, text: `saved ${(req as { format: string }).format}`, backup: null }),
    });
    s().newMap();
    expect(hasUnsavedEdits(s())).toBe(false);
    s().addRegion();
    expect(hasUnsavedEdits(s())).toBe(true);
    await s().previewSaveAs('/tmp/new.json', 'json', false);
    expect(s().diff).toBe('+regions: {}');
    expect(s().saveTarget).toEqual({ path: '/tmp/new.json', format: 'json', baseText: '', replace: false });
    await s().save();
    const req = api.calls.find((c) => c.name === 'map.save')!.args[0];
    expect(req).toMatchObject({ path: '/tmp/new.json', format: 'json', baseText: '', replace: false });
    expect(s().doc).toMatchObject({ path: '/tmp/new.json', format: 'json', text: 'saved json' });
    expect(s().message).toEqual({ kind: 'ok', text: 'Saved /tmp/new.json' });
    expect(hasUnsavedEdits(s())).toBe(false);
    s().addNode('900');
    s().undo();
    expect(hasUnsavedEdits(s())).toBe(false);
  });

  it('refuses Save as without a path', async () => {
    const api = setup();
    s().newMap();
    await s().previewSaveAs('  ', 'yaml', false);
    expect(s().message).toEqual({ kind: 'error', text: 'Save as: type the full path of the new file' });
    expect(api.names()).not.toContain('map.diff');
  });

  it('puts failed calls in the message instead of leaving unhandled rejections', async () => {
    const api = setup({
      'map.diff': () => Promise.reject(new Error('file changed')),
      'map.save': () => Promise.reject(new Error('read-only')),
    });
    await s().open({ kind: 'file', path: '/etc/derp.yaml' });
    api.answers['relay.mapEntry'] = () => Promise.reject(new Error('relay has no settings'));
    await s().addThisRelay();
    expect(s().message).toEqual({ kind: 'error', text: 'Cannot add this relay: relay has no settings' });
    await s().previewSave();
    expect(s().message).toEqual({ kind: 'error', text: 'Cannot compare with the file: file changed' });
    await s().save();
    expect(s().message).toEqual({ kind: 'error', text: 'Not saved: read-only' });
    api.answers['map.open'] = () => Promise.reject(new Error('no such file'));
    await s().open({ kind: 'file', path: '/nope' });
    expect(s().message).toEqual({ kind: 'error', text: 'no such file' });
  });

  it('edits the derp section of a headscale config: per-field problems, diff, save, unsaved-edit tracking', async () => {
    const derp = { server: { enabled: true, region_id: 999, stun_listen_addr: '0.0.0.0:3478' }, paths: ['a.yaml'] };
    const api = setup({
      'map.headscale': () => ({ map: structuredClone(MAP), origins: { '900': 'a.yaml' }, problems: [] }),
      'map.headscaleDerp': () => ({ path: '/etc/headscale/config.yaml', derp, version: 'v1', problems: {} }),
      'map.headscaleDerpDiff': () => '-    region_id: 999\n+    region_id: 998\n',
      'map.headscaleDerpSave': () => ({ ok: true, version: 'v2', backup: '/etc/headscale/config.yaml.bak' }),
    });
    await s().openHeadscale('/etc/headscale/config.yaml');
    await expect.poll(() => s().hsDerp?.version).toBe('v1');
    expect(hasUnsavedEdits(s())).toBe(false);
    s().setHsField('server.region_id', 'abc');
    expect(s().hsProblems).toEqual({ 'server.region_id': 'server.region_id must be a number, got "abc"' });
    s().setHsField('server.region_id', 998);
    s().setHsField('urls', ['https://controlplane.tailscale.com/derpmap/default']);
    s().setHsField('update_frequency', undefined);
    expect(s().hsProblems).toEqual({});
    expect(hasUnsavedEdits(s())).toBe(true);
    await s().previewHsSave();
    expect(s().hsDiff).toContain('+    region_id: 998');
    await s().saveHs();
    const req = api.calls.find((c) => c.name === 'map.headscaleDerpSave')!.args[0];
    expect(req).toEqual({
      configPath: '/etc/headscale/config.yaml',
      version: 'v1',
      derp: {
        server: { enabled: true, region_id: 998, stun_listen_addr: '0.0.0.0:3478' },
        paths: ['a.yaml'],
        urls: ['https://controlplane.tailscale.com/derpmap/default'],
      },
    });
    expect(s().hsDerp?.version).toBe('v2');
    expect(s().message?.text).toMatch(/^Saved the derp section of \/etc\/headscale\/config\.yaml/);
    expect(hasUnsavedEdits(s())).toBe(false);
    // A new map has no headscale sources: "Merged from" and the derp section go with the merged map.
    s().newMap();
    expect([s().origins, s().hsDerp]).toEqual([null, null]);
  });
});
