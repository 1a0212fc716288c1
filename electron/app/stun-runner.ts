/** Runs the STUN server beside the app's relay, from the settings' comma-separated listen addresses. */
import { StunServer, stunVarz } from '../stun/server.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import type { StartStun } from './relay-controller.js';

export const startStunRunner: StartStun = async (listen, logger) => {
  const server = new StunServer();
  await server.start(
    listen.map((a) => {
      const hp = parseHostPort(a, 'STUN address');
      return { host: hp.host || '0.0.0.0', port: hp.port };
    }),
  );
  const endpoints = server
    .addresses()
    .map((a) => ({ role: 'stun' as const, url: `stun:${formatHostPort(a.host, a.port)}` }));
  logger.info(`stun: listening on ${endpoints.map((e) => e.url).join(', ')}`);
  return {
    endpoints: () => endpoints,
    requests: () => server.requests,
    varz: () => stunVarz(server.stats),
    stop: () => server.stop(),
  };
};
