/** `derpdesk relay -stun-rate-limit / -stun-rate-burst`: the per-source STUN limit set from the command line. */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBindingRequest } from '../../electron/stun/message.js';
import { runCli, startCli, waitExit } from '../helpers/cli.js';
import { eventually, sleep } from '../helpers/relay.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-stun-flags-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { DERPDESK_DATA_DIR: tmp };

describe('derpdesk relay STUN rate flags', () => {
  it('answers one source its burst and then its rate, as the flags say, and counts the rest as dropped', async () => {
    const r = await startCli(
      ['relay', '-a', '127.0.0.1:0', '-stun-listen', '127.0.0.1:0', '-stun-rate-limit', '0.5', '-stun-rate-burst', '3'],
      /STUN listening on 127\.0\.0\.1:(\d+)/,
      env,
    );
    const relayPort = /listening on http:\/\/[^\s]+:(\d+)\/derp/.exec(r.output())![1];
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((done) => sock.bind(0, '127.0.0.1', done));
    let answers = 0;
    sock.on('message', () => answers++);
    const request = encodeBindingRequest(randomBytes(12));
    for (let i = 0; i < 10; i++) sock.send(request, Number(r.match[1]), '127.0.0.1');
    await eventually(() => answers === 3, 5000, 'the burst of 3 answers');
    // At 0.5/s the next token is 2 s away: nothing more may come in the meantime.
    await sleep(300);
    expect(answers).toBe(3);
    const varz = await (await fetch(`http://127.0.0.1:${relayPort}/debug/varz`)).text();
    expect(varz).toContain('derpdesk_stun_requests_dropped{reason="rate_limited"} 7');
    sock.close();
    r.child.kill('SIGTERM');
    expect(await waitExit(r.child)).toBe(0);
  });

  it.each([
    [['-stun-rate-limit', '0'], '-stun-rate-limit 0 is not a positive rate'],
    [['-stun-rate-limit', 'fast'], 'invalid value "fast" for -stun-rate-limit'],
    [['-stun-rate-burst', '0'], '-stun-rate-burst 0 is below 1'],
  ])('exits 2 and says what is wrong with %j', async (flags, message) => {
    const r = await runCli(['relay', '-a', '127.0.0.1:0', ...flags], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('lists both flags in --help', async () => {
    const r = await runCli(['relay', '--help'], env);
    expect(r.stdout).toMatch(/-stun-rate-limit per-second/);
    expect(r.stdout).toMatch(/-stun-rate-burst n/);
  });
});
