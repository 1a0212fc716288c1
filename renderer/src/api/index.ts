/**
 * Picks the transport at start: Electron's preload (`window.derpdesk`) when present, else the WebSocket bridge of
 * `derpdesk host` with the token from the URL (kept in sessionStorage so that reloads and navigation keep working).
 */
import type { DerpdeskApi } from '../../../shared/api.js';
import { createWsApi, tokenFromLocation, type BridgeStatus } from './ws-client.js';

export type Transport =
  | { kind: 'electron'; api: DerpdeskApi }
  | { kind: 'web'; api: DerpdeskApi; onStatus: (l: (s: BridgeStatus) => void) => () => void }
  | { kind: 'no-token' };

const TOKEN_KEY = 'derpdesk.token';

export function pickTransport(): Transport {
  const preload = (window as unknown as { derpdesk?: DerpdeskApi }).derpdesk;
  if (preload) return { kind: 'electron', api: preload };
  const fromUrl = tokenFromLocation(window.location);
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    // Keep the token out of the address bar, screenshots and history.
    history.replaceState(null, '', `${window.location.pathname}#relay`);
  }
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
  if (!token) return { kind: 'no-token' };
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const api = createWsApi(`${scheme}://${window.location.host}/api?token=${encodeURIComponent(token)}`);
  return { kind: 'web', api, onStatus: api.onStatus };
}
