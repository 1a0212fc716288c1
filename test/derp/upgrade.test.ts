import { describe, expect, it } from 'vitest';
import {
  isDerpUpgrade,
  isNotIdeal,
  isWebSocketUpgrade,
  offersDerpSubprotocol,
  parseUpgradeReply,
  upgradeRequest,
  upgradeResponse,
} from '../../electron/derp/upgrade.js';

describe('the DERP upgrade', () => {
  it('writes the request Go clients send, with fast start and Ideal-Node only when asked', () => {
    expect(upgradeRequest({ path: '/derp', host: 'derp.example.com' })).toBe(
      'GET /derp HTTP/1.1\r\nHost: derp.example.com\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n',
    );
    expect(upgradeRequest({ path: '', host: 'h:8443', fastStart: true, idealNode: 'node-1' })).toBe(
      'GET /derp HTTP/1.1\r\nHost: h:8443\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Fast-Start: 1\r\nIdeal-Node: node-1\r\n\r\n',
    );
  });

  it('answers 101 with the protocol version and the server key in hex', () => {
    const key = Buffer.alloc(32, 0xab);
    const reply = upgradeResponse(key);
    expect(reply).toBe(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Version: 2\r\nDerp-Public-Key: ${'ab'.repeat(32)}\r\n\r\n`,
    );
    expect(parseUpgradeReply(reply.slice(0, -4))).toEqual({ ok: true, serverKeyHex: 'ab'.repeat(32) });
  });

  it('reads a refusal as its status line and a 101 without a key as keyless', () => {
    expect(parseUpgradeReply('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0')).toEqual({
      ok: false,
      statusLine: 'HTTP/1.1 426 Upgrade Required',
    });
    expect(parseUpgradeReply('')).toEqual({ ok: false, statusLine: 'no HTTP status line' });
    expect(parseUpgradeReply('HTTP/1.1 101 Switching Protocols\r\nderp-public-key: ' + 'CD'.repeat(32))).toEqual({
      ok: true,
      serverKeyHex: 'cd'.repeat(32),
    });
    expect(parseUpgradeReply('HTTP/1.1 101 Switching Protocols\r\nDerp-Public-Key: short')).toEqual({
      ok: true,
      serverKeyHex: null,
    });
  });

  it('matches the request headers the way the relay needs', () => {
    expect([
      isDerpUpgrade('DERP'),
      isDerpUpgrade('derp'),
      isDerpUpgrade('websocket'),
      isDerpUpgrade(undefined),
    ]).toEqual([true, true, false, false]);
    expect([isWebSocketUpgrade('WebSocket'), isWebSocketUpgrade('DERP')]).toEqual([true, false]);
    expect([
      offersDerpSubprotocol('chat, derp'),
      offersDerpSubprotocol('derpy'),
      offersDerpSubprotocol(undefined),
    ]).toEqual([true, false, false]);
    expect([isNotIdeal({ 'ideal-node': 'x' }), isNotIdeal({ 'ideal-node': '' }), isNotIdeal({})]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
