/**
 * A DERP handshake with everything the client computes done in advance: the request and a ClientInfo sealed to
 * the server's key go out in one write (fast start), and the handshake is done when ServerInfo arrives. Load
 * generators use it so that handshakes per second measure the relay, not the client's key agreement.
 */
import net from 'node:net';
import tls from 'node:tls';
import { BoxPrivateKey, sealWithShared } from '../electron/derp/box.js';
import { FRAME_HEADER_LEN, FrameType, KEY_LEN, MAGIC, encodeFrame } from '../electron/derp/frames.js';
import { encodeClientInfo } from '../electron/derp/info.js';
import type { NodeKeyPair } from '../electron/derp/keys.js';

const SERVER_KEY_FRAME_LEN = FRAME_HEADER_LEN + MAGIC.length + KEY_LEN;

/** Request line, headers and ClientInfo frame for one client key. */
export function handshakeBytes(url: URL, kp: NodeKeyPair, serverKey: Uint8Array): Buffer {
  const shared = new BoxPrivateKey(kp.privateKey).sharedKey(serverKey);
  const info = encodeFrame(FrameType.ClientInfo, kp.publicKey, sealWithShared(shared, encodeClientInfo({})));
  const head = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Fast-Start: 1\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), info]);
}

/** Sends prepared handshake bytes; resolves with the open socket once ServerKey and ServerInfo have arrived. */
export function rawHandshake(url: URL, bytes: Buffer, timeoutMs = 5000): Promise<net.Socket> {
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  return new Promise((resolve, reject) => {
    // Every benchmark server is on 127.0.0.1; a TLS URL names the certificate's host name for SNI.
    const s: net.Socket = secure
      ? tls.connect({ host: '127.0.0.1', port, servername: url.hostname, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port });
    // Over TLS the request follows the client's Finished at once, and Nagle would hold it until Finished is acked.
    // Over TCP everything leaves in one write: no Nagle to turn off, a syscall saved on the relay's shared cores.
    if (secure) s.setNoDelay(true);
    let got: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new Error(
          `handshake timed out after ${timeoutMs} ms with ${got.length} bytes received (local port ${s.localPort})`,
        ),
      );
    }, timeoutMs);
    const onData = (d: Buffer) => {
      got = got.length === 0 ? d : Buffer.concat([got, d]);
      if (got.length < SERVER_KEY_FRAME_LEN + FRAME_HEADER_LEN) return;
      if (got[0] !== FrameType.ServerKey || got[SERVER_KEY_FRAME_LEN] !== FrameType.ServerInfo) {
        s.destroy();
        reject(new Error(`unexpected handshake frames ${got[0]}, ${got[SERVER_KEY_FRAME_LEN]}`));
        return;
      }
      if (got.length < SERVER_KEY_FRAME_LEN + FRAME_HEADER_LEN + got.readUInt32BE(SERVER_KEY_FRAME_LEN + 1)) return;
      s.off('data', onData);
      clearTimeout(timer);
      resolve(s);
    };
    s.on('data', onData);
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed during the handshake')));
    s.once(secure ? 'secureConnect' : 'connect', () => s.write(bytes));
  });
}
