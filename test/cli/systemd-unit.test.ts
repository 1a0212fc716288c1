/**
 * `--print-systemd-unit` from the built CLI: the unit runs this Node and this CLI with the flags given (paths made
 * absolute), survives systemd's quoting and specifier rules when read back, passes `systemd-analyze verify`, and
 * carries the service settings docs/service.md promises.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_FLAGS } from '../../electron/cli/host.js';
import { parseFlags, type FlagSpec } from '../../electron/cli/flags.js';
import { RELAY_FLAGS } from '../../electron/cli/relay.js';
import { RELAY_V8_FLAGS } from '../../electron/cli/v8-flags.js';
import { BIN, runCli } from '../helpers/cli.js';
import { execStartArgv, splitWords, unitValues } from '../helpers/systemd.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** A folder name with every character systemd treats specially: spaces, quotes, backslash, % and $. */
const odd = path.join(tmp, `my "derp" files\\ 100% $HOME 'x'`);
mkdirSync(odd, { recursive: true });

async function printUnit(args: string[]): Promise<string> {
  const r = await runCli([...args, '--print-systemd-unit'], { DERPDESK_DATA_DIR: tmp });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** What the flags parse to, with the given path flags made absolute as the unit must have them. */
function parsedValues(specs: FlagSpec[], argv: string[], pathFlags: string[]) {
  const f = parseFlags(specs, argv);
  for (const name of pathFlags) {
    const v = f.values[name];
    if (Array.isArray(v)) f.values[name] = v.map((x) => path.resolve(x));
    else if (typeof v === 'string' && v !== '') f.values[name] = path.resolve(v);
  }
  delete f.values['print-systemd-unit'];
  return f.values;
}

const systemdAnalyze = await promisify(execFile)('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
);

async function verify(unit: string, name: string): Promise<string> {
  const file = path.join(tmp, name);
  writeFileSync(file, unit);
  const r = await promisify(execFile)('systemd-analyze', ['verify', file]).catch(
    (err: { code: number; stderr: string }) => err,
  );
  expect(r.stderr, 'systemd-analyze verify says nothing about the unit').toBe('');
  return file;
}

describe('derpdesk relay --print-systemd-unit', () => {
  const argv = [
    '-a',
    ':443',
    '-certmode',
    'manual',
    '-hostname',
    'derp.example.com',
    '-certdir',
    odd,
    '-c',
    path.join(odd, 'derper.key'),
    '-http-port=80',
    '-stun=false',
    '-verify-client-url',
    'https://hs.example.com/verify?a=1&b=$x',
    '-verbose',
  ];

  it('runs this Node and CLI with the same flags, quoted so systemd reads them back unchanged', async () => {
    const unit = await printUnit(['relay', ...argv]);
    const words = execStartArgv(unit);
    expect(words.slice(0, 4)).toEqual([process.execPath, ...RELAY_V8_FLAGS, BIN, 'relay']);
    const relayPaths = ['c', 'certdir', 'mesh-psk-file', 'allow-keys-file', 'rate-config'];
    expect(parsedValues(RELAY_FLAGS, words.slice(4), relayPaths)).toEqual(parsedValues(RELAY_FLAGS, argv, relayPaths));
  });

  it('makes relative file flags absolute', async () => {
    const unit = await printUnit(['relay', '-a', '127.0.0.1:3340', '-certmode', 'none', '-c', 'keys/derper.key']);
    expect(execStartArgv(unit)).toContain(`-c=${path.resolve('keys/derper.key')}`);
  });

  it('binds :443 and :80 as a dedicated user with capabilities, restarts on failure, keeps state, reloads on SIGHUP', async () => {
    const unit = await printUnit(['relay', ...argv]);
    const s = (key: string) => unitValues(unit, 'Service', key);
    expect(s('User')).toEqual(['derpdesk']);
    expect(s('AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(s('CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(s('Restart')).toEqual(['on-failure']);
    expect(s('RestartPreventExitStatus')).toEqual(['2']);
    expect(s('StateDirectory')).toEqual(['derpdesk']);
    expect(s('Environment')).toEqual(['DERPDESK_DATA_DIR=/var/lib/derpdesk']);
    expect(s('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(s('NoNewPrivileges')).toEqual(['yes']);
    expect(s('ProtectSystem')).toEqual(['strict']);
    // The key file's folder and -certdir (here the same folder) stay writable under ProtectSystem=strict.
    expect(s('ReadWritePaths').flatMap(splitWords)).toEqual([`-${odd}`]);
    expect(unitValues(unit, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });

  it.skipIf(!systemdAnalyze)(
    'passes systemd-analyze verify (skipped where systemd-analyze is not installed)',
    async () => {
      await verify(await printUnit(['relay', ...argv]), 'derpdesk-relay.service');
    },
  );

  it('refuses flags that would not start, instead of printing a unit for them', async () => {
    const r = await runCli(['relay', '-a', '127.0.0.1:99999', '--print-systemd-unit']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('derpdesk host --print-systemd-unit', () => {
  it('fills in a data dir and token file of its own, and round-trips the given flags', async () => {
    const argv = ['--listen', '127.0.0.1:7080', '--files-root', odd, '--host-name', 'derp.example.com'];
    const unit = await printUnit(['host', ...argv]);
    const words = execStartArgv(unit);
    expect(words.slice(0, 4)).toEqual([process.execPath, ...RELAY_V8_FLAGS, BIN, 'host']);
    const hostPaths = ['data-dir', 'files-root', 'tls-cert', 'tls-key', 'token-file'];
    expect(parsedValues(HOST_FLAGS, words.slice(4), hostPaths)).toEqual(
      parsedValues(
        HOST_FLAGS,
        [...argv, '--data-dir', '/var/lib/derpdesk', '--token-file', '/var/lib/derpdesk/host-token'],
        hostPaths,
      ),
    );
    expect(unitValues(unit, 'Service', 'ExecReload'), 'the host does not reload on SIGHUP').toEqual([]);
    expect(unitValues(unit, 'Service', 'ReadWritePaths').flatMap(splitWords)).toEqual([`-${odd}`]);
  });

  it('keeps a given --data-dir and --token-file', async () => {
    const unit = await printUnit(['host', '--data-dir', odd, '--token-file', path.join(odd, 'tok')]);
    const words = execStartArgv(unit);
    expect(words.filter((w) => w.startsWith('--data-dir='))).toEqual([`--data-dir=${odd}`]);
    expect(words.filter((w) => w.startsWith('--token-file='))).toEqual([`--token-file=${path.join(odd, 'tok')}`]);
  });

  it.skipIf(!systemdAnalyze)(
    'passes systemd-analyze verify (skipped where systemd-analyze is not installed)',
    async () => {
      await verify(await printUnit(['host', '--files-root', odd]), 'derpdesk-host.service');
    },
  );
});
