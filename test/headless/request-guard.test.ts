/**
 * The request guard's rules on their own, including what loopback tests cannot reach: a host listening on all
 * interfaces answers to the address a connection arrived on, and loopback names only over loopback.
 */
import { describe, expect, it } from 'vitest';
import { hostHeaderName, parseRequestPath, servesName } from '../../electron/headless/request-guard.js';

describe('request guard', () => {
  it('decodes origin-form targets and nothing else', () => {
    expect(parseRequestPath('/assets/a%20b.js?x=%zz#f')).toBe('/assets/a b.js');
    expect(parseRequestPath('/%61pi')).toBe('/api');
    for (const bad of [
      undefined,
      '',
      '*',
      'http://[',
      'http://127.0.0.1/',
      'relay.example.com:443',
      '/%',
      '/%zz',
      '/assets/%E0%A4%A',
      '/a%00b',
    ]) {
      expect(parseRequestPath(bad), String(bad)).toBeNull();
    }
  });

  it('reads the name from a Host header, or calls it malformed', () => {
    expect(hostHeaderName('Relay.Example.com:443')).toBe('relay.example.com');
    expect(hostHeaderName('[::1]:7080')).toBe('::1');
    expect(hostHeaderName('127.0.0.1')).toBe('127.0.0.1');
    for (const bad of [
      undefined,
      '',
      ':80',
      '[::1',
      '[nope]:1',
      '::1',
      'a b',
      'a_b.test',
      '-a.test',
      'a.test.',
      'h:99999',
      'h:',
      'h:1:2',
      'h/x',
    ]) {
      expect(hostHeaderName(bad), String(bad)).toBeNull();
    }
  });

  it("answers to the address a connection arrived on, loopback names over loopback only, and the operator's names", () => {
    expect(servesName('10.0.0.5', '10.0.0.5', [])).toBe(true);
    expect(servesName('10.0.0.5', '::ffff:10.0.0.5', [])).toBe(true);
    expect(servesName('2001:db8::5', '2001:db8:0:0::5', [])).toBe(true);
    expect(servesName('10.0.0.6', '10.0.0.5', [])).toBe(false);
    expect(servesName('localhost', '10.0.0.5', [])).toBe(false);
    expect(servesName('127.0.0.1', '10.0.0.5', [])).toBe(false);
    expect(servesName('localhost', '::ffff:127.0.0.1', [])).toBe(true);
    expect(servesName('::1', '127.0.0.1', [])).toBe(true);
    expect(servesName('relay.example.com', '10.0.0.5', ['relay.example.com'])).toBe(true);
    expect(servesName('203.0.113.7', '10.0.0.5', ['203.0.113.7'])).toBe(true);
    expect(servesName('evil.example', '127.0.0.1', [])).toBe(false);
    expect(servesName('10.0.0.5', undefined, [])).toBe(false);
  });
});
