/** The text report names nodes and regions as users know them and words the summary like `tailscale netcheck`. */
import { describe, expect, it } from 'vitest';
import { readableError, withReadableCode } from '../../electron/diagnostics/errors.js';
import { formatReport } from '../../electron/diagnostics/report.js';
import type { CheckReport } from '../../shared/diagnostics.js';
import { SUMMARY } from '../helpers/check-summary.js';

const report: CheckReport = {
  startedAt: 1,
  finishedAt: 2,
  nodes: [
    {
      regionId: 1,
      regionCode: 'nyc',
      regionName: 'New York City',
      node: '1a',
      host: 'derp1.example.com',
      steps: [{ step: 'dns', status: 'ok', ms: 3, detail: 'IPv4 192.0.2.1, IPv6 —' }],
    },
  ],
  summary: SUMMARY,
};

describe('check report', () => {
  it('names each node by region id, code and name, and prints the netcheck summary', () => {
    const text = formatReport(report, 'derp.yaml');
    expect(text).toContain('region 1 nyc (New York City) node 1a derp1.example.com\n');
    expect(text).toContain(
      [
        '  UDP: yes',
        '  IPv4: yes, 198.51.100.7:41641',
        '  IPv6: no',
        '  MappingVariesByDestIP: unknown (only one STUN server IP answered (192.0.2.1))',
        '  CaptivePortal: false',
        '  Nearest DERP: fra (Frankfurt), region 2',
        '  DERP latency:',
        '    - fra (Frankfurt): 8.0 ms',
        '    - nyc (New York City): 20.5 ms',
        '  Bandwidth:',
        '    - nyc/1a: 41.3 MB/s',
      ].join('\n'),
    );
  });

  it('reads a report stored before regions were named', () => {
    const { regionLatency, nearest, mappedIPv4, ...old } = report.summary;
    void [regionLatency, nearest, mappedIPv4];
    const text = formatReport({ ...report, summary: { ...old, bandwidth: undefined, captivePortal: undefined } }, 'x');
    expect(text).toContain('  IPv4: yes, 198.51.100.7\n');
    expect(text).toContain('  Nearest DERP: 2\n');
    expect(text).toContain('    - 2: 8.0 ms\n    - 1: 20.5 ms');
    expect(text).toContain('  CaptivePortal: not checked');
  });
});

describe('readable errors', () => {
  it('puts socket and file error codes in words, and keeps other messages', () => {
    const err = (code: string, message = code) => Object.assign(new Error(message), { code });
    expect(readableError(err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toBe(
      'connection refused (nothing listens on that port)',
    );
    expect(readableError(err('ENOENT', "ENOENT: no such file or directory, open '/x'"))).toBe(
      'no such file or directory',
    );
    expect(readableError(err('ERR_SOCKET_BAD_PORT', 'Port should be > 0'))).toBe('not a valid port (give 1 to 65535)');
    expect(readableError(new Error('outer', { cause: err('EHOSTUNREACH') }))).toBe('host unreachable (no route to it)');
    expect(readableError(new Error('no STUN reply'))).toBe('no STUN reply');
  });

  it('words a trailing code in a message the file layer wrote, and leaves other messages alone', () => {
    expect(withReadableCode(new Error('cannot read /etc/derp.yaml: ENOENT')).message).toBe(
      'cannot read /etc/derp.yaml: no such file or directory',
    );
    expect(withReadableCode(new Error('cannot read /x: EACCES')).message).toBe('cannot read /x: permission denied');
    expect(withReadableCode(new Error('region 900: RegionCode is empty')).message).toBe(
      'region 900: RegionCode is empty',
    );
  });
});
