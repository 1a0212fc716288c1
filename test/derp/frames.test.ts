import { describe, expect, it } from 'vitest';
import { looksLikeDisco } from '../../electron/derp/disco.js';
import {
  FrameType,
  KEEP_ALIVE_FRAME,
  MAGIC,
  encodePacketFrame,
  encodePeerGone,
  encodePeerPresent,
  encodeRestarting,
  encodeServerKey,
} from '../../electron/derp/frames.js';

describe('frame layouts', () => {
  it('uses the frame type numbers of DERP v2', () => {
    expect(FrameType).toEqual({
      ServerKey: 1, ClientInfo: 2, ServerInfo: 3, SendPacket: 4, RecvPacket: 5, KeepAlive: 6, NotePreferred: 7,
      PeerGone: 8, PeerPresent: 9, ForwardPacket: 10, WatchConns: 16, ClosePeer: 17, Ping: 18, Pong: 19,
      Health: 20, Restarting: 21,
    });
  });

  it('encodes ServerKey as magic "DERP🔑" + key behind a 5-byte header', () => {
    const key = Buffer.alloc(32, 0xab);
    const f = encodeServerKey(key);
    expect(MAGIC.toString('hex')).toBe('44455250f09f9491');
    expect(f.subarray(0, 5).toString('hex')).toBe('0100000028');
    expect(f.subarray(5, 13)).toEqual(MAGIC);
    expect(f.subarray(13)).toEqual(key);
  });

  it('encodes KeepAlive, PeerGone, Restarting and RecvPacket exactly', () => {
    expect(KEEP_ALIVE_FRAME.toString('hex')).toBe('0600000000');
    const key = Buffer.alloc(32, 7);
    expect(encodePeerGone(key, 1).toString('hex')).toBe('0800000021' + '07'.repeat(32) + '01');
    expect(encodeRestarting(1500, 30000).toString('hex')).toBe('1500000008' + '000005dc' + '00007530');
    const pkt = Buffer.from('xyz');
    expect(encodePacketFrame(FrameType.RecvPacket, key, Buffer.concat([Buffer.from('..'), pkt]), 2, 5).toString('hex')).toBe(
      '0500000023' + '07'.repeat(32) + '78797a',
    );
  });

  it('encodes PeerPresent as key, 16-byte IP, big-endian port, flags', () => {
    const key = Buffer.alloc(32, 1);
    const ip = Buffer.from('00000000000000000000ffff7f000001', 'hex');
    const f = encodePeerPresent(key, ip, 0x1234, 2);
    expect(f.subarray(0, 5).toString('hex')).toBe('0900000033');
    expect(f.subarray(37, 53)).toEqual(ip);
    expect(f.subarray(53).toString('hex')).toBe('123402');
  });
});

describe('disco detection', () => {
  const magic = Buffer.from('5453f09f92ac', 'hex');
  it('needs the TS💬 magic and room for key and nonce', () => {
    const disco = Buffer.concat([magic, Buffer.alloc(56)]);
    expect(looksLikeDisco(disco, 0, disco.length)).toBe(true);
    expect(looksLikeDisco(disco, 0, disco.length - 1)).toBe(false);
    const other = Buffer.from(disco);
    other[0] = 0;
    expect(looksLikeDisco(other, 0, other.length)).toBe(false);
  });
});
