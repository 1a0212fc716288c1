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
  decodePeerGone,
  decodePeerPresent,
  decodeRestarting,
  decodeServerKey,
  ip16ToString,
} from '../../electron/derp/frames.js';

describe('frame layouts', () => {
  it('uses the frame type numbers of DERP v2', () => {
    expect(FrameType).toEqual({
      ServerKey: 1,
      ClientInfo: 2,
      ServerInfo: 3,
      SendPacket: 4,
      RecvPacket: 5,
      KeepAlive: 6,
      NotePreferred: 7,
      PeerGone: 8,
      PeerPresent: 9,
      ForwardPacket: 10,
      WatchConns: 16,
      ClosePeer: 17,
      Ping: 18,
      Pong: 19,
      Health: 20,
      Restarting: 21,
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
    expect(
      encodePacketFrame(FrameType.RecvPacket, key, Buffer.concat([Buffer.from('..'), pkt]), 2, 5).toString('hex'),
    ).toBe('0500000023' + '07'.repeat(32) + '78797a');
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

describe('frame decoders', () => {
  const at = (frame: Buffer) => [frame, 5, frame.length] as const;

  it('reads back what the encoders write, at an offset inside a larger buffer', () => {
    const key = Buffer.alloc(32, 9);
    const serverKey = encodeServerKey(key);
    expect(decodeServerKey(...at(serverKey))).toEqual(key);
    const gone = encodePeerGone(key, 1);
    expect(decodePeerGone(...at(gone))).toEqual({ key, reason: 1 });
    const ip = Buffer.from('00000000000000000000ffffc0000201', 'hex');
    const present = Buffer.concat([Buffer.from('junk'), encodePeerPresent(key, ip, 41641, 8)]);
    expect(decodePeerPresent(present, 4 + 5, present.length)).toEqual({ key, ip: '192.0.2.1', port: 41641, flags: 8 });
    expect(decodeRestarting(...at(encodeRestarting(1500, 30000)))).toEqual({ reconnectInMs: 1500, tryForMs: 30000 });
  });

  it('copies keys out of the read buffer, which the reader reuses', () => {
    const frame = encodePeerGone(Buffer.alloc(32, 1), 0);
    const gone = decodePeerGone(...at(frame))!;
    frame.fill(0);
    expect(gone.key).toEqual(Buffer.alloc(32, 1));
  });

  it('accepts the short forms older servers send, and rejects what cannot hold a key', () => {
    const key = Buffer.alloc(32, 2);
    const bare = Buffer.concat([Buffer.alloc(5), key]);
    expect(decodePeerGone(bare, 5, bare.length)).toEqual({ key, reason: 0 });
    expect(decodePeerPresent(bare, 5, bare.length)).toEqual({ key, ip: '', port: 0, flags: 0 });
    expect(decodePeerGone(bare, 5, bare.length - 1)).toBeNull();
    expect(decodePeerPresent(bare, 5, bare.length - 1)).toBeNull();
    expect(decodeRestarting(Buffer.alloc(12), 5, 12)).toBeNull();
  });

  it('refuses a ServerKey without the magic: not a DERP server', () => {
    const frame = encodeServerKey(Buffer.alloc(32, 3));
    frame[5] ^= 1;
    expect(decodeServerKey(...at(frame))).toBeNull();
    expect(decodeServerKey(frame, 5, frame.length - 1)).toBeNull();
  });

  it('prints PeerPresent addresses as dotted quads or compressed IPv6', () => {
    expect(ip16ToString(Buffer.from('00000000000000000000ffff7f000001', 'hex'))).toBe('127.0.0.1');
    expect(ip16ToString(Buffer.from('20010db8000000000000000000000001', 'hex'))).toBe('2001:db8::1');
    expect(ip16ToString(Buffer.alloc(16))).toBe('::');
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
