/**
 * How a -workers worker's DerpServer tells region peers about clients on the other workers, driven in one process:
 * two relays linked as siblings (the workers' own mesh key) and a region peer that watches only the first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { generateKeyPair } from '../../electron/derp/keys.js';
import { MeshLink } from '../../electron/relay/mesh.js';
import { eventually, startRelay, type TestRelay } from '../helpers/relay.js';

const REGION_KEY = 'cd'.repeat(32);
const SIBLING_KEY = 'ef'.repeat(32);
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };
let a: TestRelay;
let b: TestRelay;
let peer: TestRelay;
const links: MeshLink[] = [];
const clients: DerpClient[] = [];

beforeAll(async () => {
  a = await startRelay({ meshKey: REGION_KEY, siblingMeshKey: SIBLING_KEY });
  b = await startRelay({ meshKey: REGION_KEY, siblingMeshKey: SIBLING_KEY });
  for (const [from, to] of [
    [a, b],
    [b, a],
  ]) {
    const link = new MeshLink(from.service.derp, to.url, {
      keyPair: generateKeyPair(),
      meshKey: SIBLING_KEY,
      logger: quiet,
      sibling: true,
    });
    links.push(link);
    link.start();
  }
  peer = await startRelay({ meshKey: REGION_KEY, meshWith: [a.url] });
  await eventually(() => links.every((l) => l.state === 'up'), 5000, 'sibling links');
  await eventually(() => peer.service.derp.stats().gauges.meshLinks === 1, 5000, "the peer's link");
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const l of links) l.stop();
  await Promise.all([a, b, peer].map((r) => r?.stop()));
});

const remoteAtPeer = () => peer.service.derp.stats().gauges.clientsRemote;

describe('a region peer watching one worker', () => {
  it('hears of a client on the other worker, but not of the links between the workers', async () => {
    const onB = await DerpClient.connect({ url: b.url });
    clients.push(onB);
    await eventually(() => remoteAtPeer() === 1, 5000, 'the client on the other worker');
    expect(remoteAtPeer()).toBe(1);
    onB.close();
    await eventually(() => remoteAtPeer() === 0, 5000, 'PeerGone for it');
  });

  it('keeps a key connected to both workers until its last connection leaves', async () => {
    const keyPair = generateKeyPair();
    const onA = await DerpClient.connect({ url: a.url, keyPair });
    const onB = await DerpClient.connect({ url: b.url, keyPair });
    clients.push(onA, onB);
    const localAtA = () => a.service.derp.stats().gauges.clientsLocal;
    await eventually(() => remoteAtPeer() === 1, 5000, 'the key');
    // B's PeerPresent reaches A over loopback within milliseconds; it must be there before A's connection leaves.
    await new Promise((r) => setTimeout(r, 300));
    const before = localAtA();
    onA.close();
    await eventually(() => localAtA() === before - 1, 5000, 'A without its connection');
    // Still reachable through A, over B: no PeerGone for the peer.
    await new Promise((r) => setTimeout(r, 300));
    expect(remoteAtPeer()).toBe(1);
    onB.close();
    await eventually(() => remoteAtPeer() === 0, 5000, 'PeerGone once both left');
  });
});
