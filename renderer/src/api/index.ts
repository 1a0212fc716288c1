/**
 * Picks the transport at start: Electron's preload (`window.derpdesk`) when present, else the WebSocket bridge of
 * `derpdesk host` with the token from the URL (kept in sessionStorage so that reloads and navigation keep working).
 */
import type { DerpdeskApi } from '../../../shared/api.js';
import { bridgeUrl, createWsApi, tokenFromLocation, type BridgeStatus } from './ws-client.js';

export type Transport =
  | { kind: 'electron'; api: DerpdeskApi }
  | { kind: 'web'; api: DerpdeskApi; onStatus: (l: (s: BridgeStatus) => void) => () => void }
  | { kind: 'no-token' };

export const TOKEN_KEY = 'derpdesk.token';

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled
  }
}

function storeToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // storage disabled: the token is lost on reload, which is only an inconvenience
  }
}

export function pickTransport(win: Window = window): Transport {
  const preload = (win as unknown as { derpdesk?: DerpdeskApi }).derpdesk;
  if (preload) return { kind: 'electron', api: preload };
  const fromUrl = tokenFromLocation(win.location);
  if (fromUrl) {
    storeToken(fromUrl);
    // Keep the token out of the address bar, screenshots and history.
    const search = new URLSearchParams(win.location.search);
    search.delete('token');
    const q = search.toString();
    win.history.replaceState(null, '', `${win.location.pathname}${q ? `?${q}` : ''}#relay`);
  }
  const token = fromUrl ?? storedToken();
  if (!token) return { kind: 'no-token' };
  const api = createWsApi(bridgeUrl(win.location), token);
  return { kind: 'web', api, onStatus: api.onStatus };
}
