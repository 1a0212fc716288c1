/**
 * The listener in front of a TLS relay that answers TLS-ALPN-01: it reads each connection's ClientHello, hands the
 * ones that offer only "acme-tls/1" to a TLS server holding the challenge certificates, and every other connection,
 * bytes untouched, to the relay's own TLS server. The challenge certificate is never served to anyone else.
 */
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { readHelloAlpn } from './client-hello.js';

export const ACME_TLS_ALPN = 'acme-tls/1';

/** The certificate proving control of `servername` for a pending TLS-ALPN-01 challenge, if any. */
export type ChallengeContext = (servername: string) => tls.SecureContext | undefined;

/** The challenge server: validators connect, complete the handshake, and leave; nothing is ever read or written. */
function createChallengeServer(contextFor: ChallengeContext): tls.Server {
  const srv = tls.createServer({
    ALPNProtocols: [ACME_TLS_ALPN],
    SNICallback: (name, cb) => {
      const ctx = contextFor(name.toLowerCase());
      if (ctx) cb(null, ctx);
      else cb(new Error(`no TLS-ALPN-01 challenge pending for ${name}`));
    },
  });
  srv.on('secureConnection', (socket) => socket.end());
  srv.on('tlsClientError', (_err, socket) => socket.destroy());
  return srv;
}

/**
 * The 'connection' listener for the net.Server that listens in place of `relayTls`. Add it after the listeners that
 * guard accepts (deadlines, accept limits), so they see the TCP socket before any byte is read.
 */
export function acmeTlsRouter(relayTls: tls.Server, contextFor: ChallengeContext): (socket: Socket) => void {
  const challenges = createChallengeServer(contextFor);
  return (socket: Socket) => {
    if (socket.destroyed) return;
    let seen = Buffer.alloc(0);
    const handOff = (to: tls.Server) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      socket.unshift(seen);
      to.emit('connection', socket);
    };
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const hello = readHelloAlpn(seen);
      if (hello === 'need-more') return;
      const acme = hello !== 'not-a-hello' && hello.alpn.length === 1 && hello.alpn[0] === ACME_TLS_ALPN;
      handOff(acme ? challenges : relayTls);
    };
    const onEnd = () => socket.destroy();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', () => socket.destroy());
  };
}
