/**
 * The relay settings the app edits and persists, their defaults, and their validation. Shared so the renderer can
 * show messages beside each field and the main process enforces the same rules.
 */

import { HOSTNAME, isIPv4, isIPv6 } from './address.js';

export interface RelaySettings {
  /** derper's -a: ":443", "0.0.0.0:3340", "[::]:443". */
  listenAddr: string;
  /**
   * "none" serves plain HTTP (dev, or behind a TLS proxy); "manual" serves TLS from the files below;
   * "self-signed" makes a certificate for the host name once (clients pin it by CertName); "letsencrypt" gets one
   * for the host name (a DNS name) from Let's Encrypt and renews it.
   */
  tlsMode: 'none' | 'manual' | 'self-signed' | 'letsencrypt';
  tlsCertFile: string;
  tlsKeyFile: string;
  /** TLS mode letsencrypt: the ACME CA's directory URL; empty = Let's Encrypt (derper's default CA). */
  acmeDirectory: string;
  /** TLS mode letsencrypt: contact address for the ACME account (the CA's expiry warnings); optional. */
  acmeEmail: string;
  /** TLS mode letsencrypt: a PEM CA certificate to trust for the directory's HTTPS (a private or test CA). */
  acmeCaFile: string;
  /** Plain-HTTP port beside a TLS listener (captive-portal checks); -1 disables it. */
  httpPort: number;
  stunEnabled: boolean;
  /** headscale's stun_listen_addr; several addresses separated by commas. */
  stunListen: string;
  /** DERP map identity of this relay (headscale's derp.server section). */
  regionId: number;
  regionCode: string;
  regionName: string;
  /** The DNS name clients dial; also the certificate's name. */
  hostName: string;
  /** Public addresses clients should use; empty = resolve hostName; "none" disables a family. */
  ipv4: string;
  ipv6: string;
  /** Server private key file (derper's -c); empty = the app's data directory. */
  keyFile: string;
  /** Admit only node keys in this file (one `nodekey:<hex>` per line); empty = everyone. */
  allowKeysFile: string;
  /** derper's -verify-client-url (headscale: https://<headscale>/verify); empty = no check. */
  verifyClientUrl: string;
  verifyFailOpen: boolean;
  /** File with the region's 64-hex mesh key; needed to mesh. */
  meshKeyFile: string;
  /** Peer servers to mesh with, comma-separated (host, host/dialhost, or URL). */
  meshWith: string;
  /** Per-client receive limit in bytes/s (derper's PerClientRateLimitBytesPerSec); 0 = off. */
  rateLimitBytesPerSec: number;
  rateBurstBytes: number;
  /** Start the relay when the app (or `derpdesk host`) starts, with these settings. */
  startOnLaunch: boolean;
}

export const DEFAULT_SETTINGS: RelaySettings = {
  listenAddr: '127.0.0.1:3340',
  tlsMode: 'none',
  tlsCertFile: '',
  tlsKeyFile: '',
  acmeDirectory: '',
  acmeEmail: '',
  acmeCaFile: '',
  httpPort: -1,
  stunEnabled: true,
  stunListen: '127.0.0.1:3478',
  regionId: 900,
  regionCode: 'derpdesk',
  regionName: 'derpdesk relay',
  hostName: 'localhost',
  ipv4: '',
  ipv6: '',
  keyFile: '',
  allowKeysFile: '',
  verifyClientUrl: '',
  verifyFailOpen: true,
  meshKeyFile: '',
  meshWith: '',
  rateLimitBytesPerSec: 0,
  rateBurstBytes: 0,
  startOnLaunch: false,
};

export type SettingsErrors = Partial<Record<keyof RelaySettings, string>>;

const HOST_PORT = /^(?:\[([^\]\s]+)\]|([^\s:[\]]*)):(\d{1,5})$/;
/** Checks a `host:port` listen address; returns an error message or null. */
export function checkListenAddr(v: string, allowEmptyHost = true): string | null {
  const m = HOST_PORT.exec(v.trim());
  if (!m) return 'use host:port, :port or [ipv6]:port';
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined && !isIPv6(host)) return `"${host}" is not an IPv6 address`;
  if (m[2] !== undefined && host !== '' && !isIPv4(host) && !HOSTNAME.test(host))
    return `"${host}" is not an IP address or host name`;
  if (!allowEmptyHost && host === '') return 'give an address';
  if (Number(m[3]) > 65535) return `port ${m[3]} is out of range (0-65535)`;
  return null;
}

/** The settings that name files: the services hold each of them to the same file policy as any other path. */
export const SETTINGS_PATH_FIELDS = [
  'tlsCertFile',
  'tlsKeyFile',
  'keyFile',
  'allowKeysFile',
  'meshKeyFile',
  'acmeCaFile',
] as const satisfies ReadonlyArray<keyof RelaySettings>;

const CONTROL_CHAR = /[\u0000-\u001f\u007f]/;

/** POSIX `/…`, Windows `C:\…` or `\\server\share…`: a relative path would resolve against wherever the app runs. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

export function validateSettings(s: RelaySettings): SettingsErrors {
  const e: SettingsErrors = {};
  const listen = checkListenAddr(s.listenAddr);
  if (listen) e.listenAddr = listen;
  if (!['none', 'manual', 'self-signed', 'letsencrypt'].includes(s.tlsMode))
    e.tlsMode = 'choose none, manual, self-signed or letsencrypt';
  if (s.tlsMode === 'manual') {
    if (!s.tlsCertFile.trim()) e.tlsCertFile = 'TLS needs a certificate file (PEM)';
    if (!s.tlsKeyFile.trim()) e.tlsKeyFile = 'TLS needs a private key file (PEM)';
  }
  if (s.acmeDirectory && !/^https:\/\/[^\s/]+/.test(s.acmeDirectory))
    e.acmeDirectory =
      "an https:// URL, e.g. Let's Encrypt staging: https://acme-staging-v02.api.letsencrypt.org/directory";
  if (s.acmeEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.acmeEmail))
    e.acmeEmail = 'an email address such as ops@example.com, or empty';
  if (!Number.isInteger(s.httpPort) || s.httpPort < -1 || s.httpPort > 65535)
    e.httpPort = 'a port from 0 to 65535, or -1 to disable';
  if (s.stunEnabled) {
    const addrs = s.stunListen
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    if (addrs.length === 0) e.stunListen = 'give at least one address, e.g. 0.0.0.0:3478';
    for (const a of addrs) {
      const err = checkListenAddr(a);
      if (err) {
        e.stunListen = `${a}: ${err}`;
        break;
      }
    }
  }
  if (!Number.isInteger(s.regionId) || s.regionId < 1)
    e.regionId = 'a positive whole number (900-999 for your own regions)';
  if (!s.regionCode.trim()) e.regionCode = 'a short code such as "myderp"';
  else if (!/^[A-Za-z0-9_-]+$/.test(s.regionCode)) e.regionCode = 'letters, digits, "-" and "_" only';
  if (!s.regionName.trim()) e.regionName = 'a human-readable name';
  if (!HOSTNAME.test(s.hostName) && !isIPv4(s.hostName) && !isIPv6(s.hostName)) e.hostName = 'a DNS name or IP address';
  else if (s.tlsMode === 'letsencrypt' && (isIPv4(s.hostName) || isIPv6(s.hostName)))
    e.hostName = "Let's Encrypt issues for DNS names only: give one, or use TLS self-signed for an IP address";
  if (s.ipv4 && s.ipv4 !== 'none' && !isIPv4(s.ipv4)) e.ipv4 = 'an IPv4 address, "none", or empty';
  if (s.ipv6 && s.ipv6 !== 'none' && !isIPv6(s.ipv6)) e.ipv6 = 'an IPv6 address, "none", or empty';
  if (s.verifyClientUrl && !/^https?:\/\/[^\s/]+/.test(s.verifyClientUrl))
    e.verifyClientUrl = 'an http:// or https:// URL, e.g. https://headscale.example.com/verify';
  if (s.meshWith.trim() && !s.meshKeyFile.trim()) e.meshKeyFile = "meshing needs the region's mesh key file";
  if (!Number.isFinite(s.rateLimitBytesPerSec) || s.rateLimitBytesPerSec < 0)
    e.rateLimitBytesPerSec = '0 (off) or a positive number of bytes per second';
  if (!Number.isFinite(s.rateBurstBytes) || s.rateBurstBytes < 0) e.rateBurstBytes = '0 or a positive number of bytes';
  for (const k of Object.keys(DEFAULT_SETTINGS) as Array<keyof RelaySettings>) {
    const v = s[k];
    if (typeof v === 'string' && CONTROL_CHAR.test(v)) e[k] = 'no line breaks or other control characters';
  }
  for (const k of SETTINGS_PATH_FIELDS) {
    if (!e[k] && s[k] !== '' && !isAbsolutePath(s[k]))
      e[k] = 'a full path, e.g. /etc/derp/' + (k === 'allowKeysFile' ? 'allow.txt' : 'file');
  }
  return e;
}

/** Fills missing or mistyped fields from the defaults, so a settings file from an older version still loads. */
export function withDefaults(raw: unknown): RelaySettings {
  const out: RelaySettings = { ...DEFAULT_SETTINGS };
  if (typeof raw !== 'object' || raw === null) return out;
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(DEFAULT_SETTINGS) as Array<keyof RelaySettings>) {
    if (typeof r[k] === typeof DEFAULT_SETTINGS[k]) (out as unknown as Record<string, unknown>)[k] = r[k];
  }
  return out;
}

const NODE_KEY_LINE = /^nodekey:[0-9a-fA-F]{64}$/;

/**
 * Problems in an allowlist's text, by line number. A line holds one node key, a comment (after #), or nothing:
 * anything else is refused, so the file the API writes can never carry other content (a shell line, say).
 */
export function checkAllowListText(text: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.includes('\r')) problems.push(`line ${i + 1}: carriage return; use Unix line endings`);
    else if (CONTROL_CHAR.test(raw.replace(/\t/g, ' ')))
      problems.push(`line ${i + 1}: control character; only text is allowed`);
    else {
      const line = raw.replace(/#.*/, '').trim();
      if (line && !NODE_KEY_LINE.test(line))
        problems.push(`line ${i + 1}: expected nodekey: followed by 64 hex characters`);
    }
  });
  return problems;
}
