/** What the map API refuses, through the handlers the GUI and the bridge call: oversized text and hostile YAML. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RootsPolicy } from '../../electron/app/file-access.js';
import { createAppServices } from '../../electron/app/services.js';
import { silentLogger } from '../../electron/util/log.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-maps-limits-'));
const app = createAppServices({ dataDir: path.join(dir, 'data'), logger: silentLogger, files: new RootsPolicy([dir]) });
const h = app.handlers;
afterAll(async () => {
  await app.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const tenMiB = `regions: {}\npad: "${'x'.repeat(Math.round(10.2 * 1024 * 1024))}"\n`;
const bomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from(
    { length: 8 },
    (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(',')}]`,
  ),
].join('\n');

describe('map API limits', () => {
  it('refuses pasted text over 4 MiB with the size and the limit', async () => {
    await expect(h['map.open']({ kind: 'text', text: tenMiB })).rejects.toThrow(
      'the map is 10.2 MiB; a DERP map is at most 4 MiB — is this the right file?',
    );
  });

  it('refuses a diff or a save preview of oversized text', async () => {
    const opened = await h['map.open']({ kind: 'text', text: '{"Regions":{}}' });
    await expect(h['map.diff']({ path: 'x.json', map: opened.map, format: 'json', baseText: tenMiB })).rejects.toThrow(
      'the opened text is 10.2 MiB; a DERP map is at most 4 MiB',
    );
  });

  it('refuses to export a map that would be over 4 MiB', async () => {
    const map = { Regions: {}, extra: { pad: 'x'.repeat(MAX_MAP_BYTES) } };
    await expect(h['map.export'](map, 'json')).rejects.toThrow(
      /^the exported map is 4\.0 MiB|^the exported map is \d+ bytes/,
    );
  });

  it('names an alias bomb in a pasted map or a headscale config', async () => {
    await expect(h['map.open']({ kind: 'text', text: bomb, name: 'derp.yaml' })).rejects.toThrow(
      'derp.yaml: YAML aliases expand more than 100 times — is this a YAML alias bomb?',
    );
    const cfg = path.join(dir, 'config.yaml');
    writeFileSync(cfg, bomb);
    await expect(h['map.headscale']({ configPath: cfg })).rejects.toThrow(
      `${cfg}: YAML aliases expand more than 100 times — is this a YAML alias bomb?`,
    );
  });

  it('stops reading a fetched map at 4 MiB', async () => {
    const srv = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"Regions":{},"pad":"' + 'x'.repeat(MAX_MAP_BYTES) + '"}');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/derpmap/default`;
      await expect(h['map.open']({ kind: 'url', url })).rejects.toThrow(
        `cannot fetch ${url}: larger than ${MAX_MAP_BYTES} bytes, which no DERP map is`,
      );
    } finally {
      srv.close();
    }
  });
});
