/**
 * The desktop host driven like a user would, with Electron's objects faked and everything else real: the relay
 * on loopback with raw DERP peers, the settings and desktop-settings files in a temp dir, the file policy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameType } from '../../electron/derp/frames.js';
import type { RelayState } from '../../shared/api.js';
import { eventually, rawHandshake, type RawPeer } from '../helpers/relay.js';
import { startDesktopHarness, type DesktopHarness } from './desktop-harness.js';
import { click, findItem } from './fake-electron.js';
import { opensslCert } from '../helpers/openssl-cert.js';

let h: DesktopHarness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function startFromTray(d: DesktopHarness): Promise<number> {
  click(d.tray().menu, 'relay-toggle');
  await eventually(
    () => ['running', 'failed'].includes(d.services.controller.getState().status),
    10_000,
    'the relay to start',
  );
  const s = d.services.controller.getState() as RelayState;
  if (s.status !== 'running') throw new Error(`relay did not start: ${JSON.stringify(s)}`);
  return Number(new URL(s.endpoints[0].url).port);
}

/** Reads frames until one of `type` arrives (the relay may send others first, such as PeerPresent). */
async function frameOf(peer: RawPeer, type: number): Promise<Buffer> {
  for (;;) {
    const f = await peer.readFrame(10_000);
    if (f.type === type) return f.payload;
  }
}

describe('tray', () => {
  it('starts and stops the relay, counts its clients, and draws the state for the taskbar colour', async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    expect(h.tray().image).toBe(path.join('/icons', 'tray-stopped-light.png'));
    expect(findItem(h.tray().menu, 'relay-toggle')!.label).toBe('Start Relay');
    expect(findItem(h.tray().menu, 'check')!.enabled).toBe(false);

    const port = await startFromTray(h);
    expect(h.tray().image).toBe(path.join('/icons', 'tray-running-light.png'));
    expect(findItem(h.tray().menu, 'relay-toggle')!.label).toBe('Stop Relay');
    const { peer } = await rawHandshake(port);
    await eventually(() => findItem(h!.tray().menu, 'clients')!.label === 'Clients now: 1', 10_000, 'one client');
    expect(h.tray().toolTip).toBe('derpdesk: relay running, 1 client');

    h.fake.setDark(true);
    expect(h.tray().image).toBe(path.join('/icons', 'tray-running-dark.png'));

    click(h.tray().menu, 'relay-toggle');
    await frameOf(peer, FrameType.Restarting);
    await eventually(() => h!.tray().image.endsWith('tray-stopped-dark.png'), 10_000, 'the stopped icon');
    expect(h.fake.notifications).toEqual([]);
  });

  it('opens the window on the diagnostics page and asks it to check the relay', async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    await startFromTray(h);
    const first = h.windows[0];
    expect(first.userClose()).toBe(false);
    click(h.tray().menu, 'check');
    expect(h.windows).toHaveLength(1);
    expect(first.visible).toBe(true);
    first.finishLoad();
    expect(first.sent).toEqual([{ type: 'navigate', page: 'diagnostics' }, { type: 'check-relay' }]);
  });
});

describe('closing the window', () => {
  it('hides it into the tray while the relay runs: a client keeps being served, and one notice says where it went', async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    const port = await startFromTray(h);
    const win = h.windows[0];
    expect(win.userClose()).toBe(false);
    expect(win.visible).toBe(false);
    expect(h.fake.state.quits).toBe(0);

    // Two real DERP clients exchange a packet through the relay after the window is gone.
    const a = await rawHandshake(port);
    const b = await rawHandshake(port);
    const { frame } = await import('../helpers/relay.js');
    a.peer.write(frame(FrameType.SendPacket, Buffer.concat([b.publicKey, Buffer.from('still here')])));
    const got = await frameOf(b.peer, FrameType.RecvPacket);
    expect(got.subarray(32).toString()).toBe('still here');

    expect(h.fake.notifications.map((n) => n.title)).toEqual(['derpdesk is still running']);
    expect(win.userClose()).toBe(false);
    expect(h.fake.notifications).toHaveLength(1);
    await h.settings.saved();
    expect(JSON.parse(readFileSync(path.join(h.dataDir, 'desktop-settings.json'), 'utf8'))).toMatchObject({
      trayNoticeShown: true,
    });

    click(h.tray().menu, 'open');
    expect(win.visible).toBe(true);
    expect(h.windows).toHaveLength(1);
  });

  it('closes it and quits (Linux) when the relay is stopped or the setting is off', async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    expect(h.windows[0].userClose()).toBe(true);
    h.fake.appEvents.emit('window-all-closed');
    expect(h.fake.state.quits).toBe(1);
    await eventually(() => h!.fake.state.quits === 2, 10_000, 'the real quit after disposal');
  });

  it('closes it when "keep running in tray" is unticked, even with the relay running', async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    await startFromTray(h);
    click(h.fake.state.menu, 'keep-running-in-tray');
    expect(h.settings.get().keepRunningInTray).toBe(false);
    expect(findItem(h.fake.state.menu, 'keep-running-in-tray')!.checked).toBe(false);
    expect(h.windows[0].userClose()).toBe(true);
  });

  it('stays on macOS after the window closed, as Mac apps do', async () => {
    h = await startDesktopHarness({ platform: 'darwin' });
    expect(h.windows[0].userClose()).toBe(true);
    h.fake.appEvents.emit('window-all-closed');
    expect(h.fake.state.quits).toBe(0);
    h.fake.appEvents.emit('activate');
    expect(h.windows).toHaveLength(2);
  });
});

describe('quit', () => {
  it('from the tray stops the relay gracefully: a connected client gets Restarting before the app exits', async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    const port = await startFromTray(h);
    const { peer } = await rawHandshake(port);
    h.windows[0].userClose();
    click(h.tray().menu, 'quit');
    const payload = await frameOf(peer, FrameType.Restarting);
    expect(payload.readUInt32BE(0)).toBeGreaterThan(0);
    await peer.waitClosed(10_000);
    await eventually(() => h!.fake.state.quits === 2, 10_000, 'the real quit');
    expect(h.services.controller.getState().status).toBe('stopped');
    // Quitting, the window closes instead of hiding.
    expect(h.windows[0].userClose()).toBe(true);
  });
});

describe('notifications', () => {
  it('a listener failing under the running relay: its clients get Restarting, one notification, the tray shows failing, the click opens the relay page', async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    const listen = vi.spyOn(net.Server.prototype, 'listen');
    let port: number;
    let listening: net.Server[];
    try {
      port = await startFromTray(h);
      listening = [...listen.mock.contexts] as net.Server[];
    } finally {
      listen.mockRestore();
    }
    const server = listening.find((s) => (s.address() as net.AddressInfo | null)?.port === port)!;
    const { peer } = await rawHandshake(port);
    h.windows[0].userClose();
    // What Node does when accept() fails for want of file descriptors; unhandled, it would end the whole app.
    server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
    await frameOf(peer, FrameType.Restarting);
    await eventually(() => h!.fake.notifications.length === 2, 10_000, 'the notice');
    const crash = h.fake.notifications[1];
    expect(crash.title).toBe('derpdesk: the relay stopped unexpectedly');
    expect(crash.body).toBe('the relay stopped: a listener failed: accept EMFILE');
    expect(h.tray().image).toBe(path.join('/icons', 'tray-failing-light.png'));
    expect(h.tray().toolTip).toBe('derpdesk: relay failing: the relay stopped: a listener failed: accept EMFILE');
    await expect(rawHandshake(port)).rejects.toThrow(/ECONNREFUSED/);
    crash.click();
    expect(h.windows[0].visible).toBe(true);
    h.windows[0].finishLoad();
    expect(h.windows[0].sent).toEqual([{ type: 'navigate', page: 'relay' }]);
  });

  it('falls back to a message box where the desktop has no notification service; Open opens the page', async () => {
    h = await startDesktopHarness();
    h.fake.state.notificationsSupported = false;
    await h.saveRelaySettings({});
    await startFromTray(h);
    h.fake.state.messageBoxResponse = 1;
    h.windows[0].userClose();
    expect(h.fake.state.messageBoxes).toHaveLength(1);
    // The fake box answers at once: after one turn of the event loop its answer (OK) has been acted on.
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.windows[0].visible).toBe(false);
    h.fake.state.messageBoxResponse = 0;
    h.services.controller.emit('state', { status: 'failed', error: 'relay: listener closed' });
    await expect.poll(() => h!.windows[0].visible).toBe(true);
    expect(h.fake.state.messageBoxes.map((b) => b.message)).toEqual([
      'derpdesk is still running',
      'derpdesk: the relay stopped unexpectedly',
    ]);
    expect(h.fake.notifications).toEqual([]);
  });

  it('a busy port at start: one notification saying so, the tray shows failing', async () => {
    h = await startDesktopHarness();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      await h.saveRelaySettings({ listenAddr: `127.0.0.1:${port}` });
      click(h.tray().menu, 'relay-toggle');
      await eventually(() => h!.services.controller.getState().status === 'failed', 10_000, 'the failed start');
      expect(h.fake.notifications).toHaveLength(1);
      expect(h.fake.notifications[0].title).toBe('derpdesk: the relay could not start');
      expect(h.fake.notifications[0].body).toContain(`${port}`);
      expect(h.fake.notifications[0].body).toContain('choose another port');
      expect(h.tray().image).toBe(path.join('/icons', 'tray-failing-light.png'));
    } finally {
      blocker.close();
    }
  });

  it('refused clients: one notification for a burst, opening the relay page', async () => {
    h = await startDesktopHarness();
    const allow = path.join(h.dataDir, 'allow.txt');
    writeFileSync(allow, '');
    await h.saveRelaySettings({ allowKeysFile: allow });
    const port = await startFromTray(h);
    for (let i = 0; i < 3; i++) await expect(rawHandshake(port)).rejects.toThrow();
    await eventually(() => h!.fake.notifications.length > 0, 10_000, 'the refusal notice');
    await eventually(() => h!.services.controller.trust().denied.length === 3, 10_000, 'three refusals');
    // Two more samples go by: the rest of the burst adds nothing.
    const samples = await new Promise<number>((resolve) => {
      let n = 0;
      const f = () => {
        if (++n === 2) {
          h!.services.events.off('stats.sample', f);
          resolve(n);
        }
      };
      h!.services.events.on('stats.sample', f);
    });
    expect(samples).toBe(2);
    expect(h.fake.notifications).toHaveLength(1);
    const [note] = h.fake.notifications;
    expect(note.title).toBe('derpdesk: the relay refused a client');
    expect(note.body).toMatch(/^nodekey:[0-9a-f]{64} from 127\.0\.0\.1/);
    h.windows[0].userClose();
    note.click();
    h.windows[0].finishLoad();
    expect(h.windows[0].sent).toEqual([{ type: 'navigate', page: 'relay' }]);
  });

  it("a periodic check turns this relay's node from ok to failing: one notification that opens the monitor page", async () => {
    h = await startDesktopHarness();
    await h.saveRelaySettings({});
    const port = await startFromTray(h);
    await h.services.handlers['monitor.start']({
      source: { kind: 'relay', url: `http://127.0.0.1:${port}`, stunPort: -1 },
      intervalSec: 1,
    });
    await eventually(
      async () => (await h!.services.handlers['monitor.status']()).nodes[0]?.status === 'ok',
      15_000,
      'the node to pass a check',
    );
    h.windows[0].userClose();
    // Stopped from the tray: not unexpected, so the monitor's is the only notice.
    click(h.tray().menu, 'relay-toggle');
    await eventually(() => h!.fake.notifications.length > 1, 15_000, 'the failing-node notice');
    const [trayNotice, note] = h.fake.notifications;
    expect(trayNotice.title).toBe('derpdesk is still running');
    expect(note.title).toBe('derpdesk: DERP node target/127.0.0.1 is failing');
    expect(note.body).toMatch(/^derp\/target\/127\.0\.0\.1\/127\.0\.0\.1\/mesh: .+\. The Monitor page shows/);
    note.click();
    expect(h.windows[0].visible).toBe(true);
    h.windows[0].finishLoad();
    expect(h.windows[0].sent).toEqual([{ type: 'navigate', page: 'monitor' }]);
    await h.services.handlers['monitor.stop']();
    expect(h.fake.notifications).toHaveLength(2);
  });

  it('a certificate expiring within 14 days: a notification that opens the diagnostics page', async () => {
    h = await startDesktopHarness();
    const cert = path.join(h.dir, 'relay.crt');
    const key = path.join(h.dir, 'relay.key');
    opensslCert({ certFile: cert, keyFile: key, days: 5, cn: 'localhost' });
    await h.saveRelaySettings({ tlsMode: 'manual', tlsCertFile: cert, tlsKeyFile: key });
    await startFromTray(h);
    await eventually(() => h!.fake.notifications.length === 1, 10_000, 'the expiry notice');
    const [note] = h.fake.notifications;
    expect(note.title).toBe('derpdesk: the relay certificate expires soon');
    expect(note.body).toMatch(/^The relay's TLS certificate expires in [45] days \(\d{4}-\d\d-\d\d\)\. Renew it/);
    h.windows[0].userClose();
    note.click();
    h.windows[0].finishLoad();
    expect(h.windows[0].sent).toEqual([{ type: 'navigate', page: 'diagnostics' }]);
  });
});
