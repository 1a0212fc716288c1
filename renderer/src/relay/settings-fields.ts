/** The relay settings form's fields, in order: how each is labelled, typed, hinted, and when it is shown. */
import type { FilePurpose } from '../../../shared/api.js';
import type { RelaySettings } from '../../../shared/settings.js';

export type Field = {
  key: keyof RelaySettings;
  label: string;
  kind: 'text' | 'number' | 'checkbox' | 'select';
  options?: string[];
  hint?: string;
  show?: (s: RelaySettings) => boolean;
  /** A path field: what a Browse… dialog picks for it, and whether the file may not exist yet. */
  file?: { purpose: FilePurpose; mode: 'open' | 'save' };
};

export const FIELDS: Field[] = [
  { key: 'listenAddr', label: 'Listen address', kind: 'text', hint: '":443", "0.0.0.0:3340" or "[::]:443"' },
  {
    key: 'tlsMode',
    label: 'TLS',
    kind: 'select',
    options: ['none', 'manual', 'self-signed', 'letsencrypt'],
    hint: 'none: plain HTTP (dev, or behind a TLS proxy); self-signed: for a bare IP, clients pin it by CertName; letsencrypt: for the public host name, renewed automatically',
  },
  {
    key: 'tlsCertFile',
    label: 'Certificate file',
    kind: 'text',
    show: (s) => s.tlsMode === 'manual',
    file: { purpose: 'certificate', mode: 'open' },
  },
  {
    key: 'tlsKeyFile',
    label: 'Certificate key file',
    kind: 'text',
    show: (s) => s.tlsMode === 'manual',
    file: { purpose: 'certificate', mode: 'open' },
  },
  {
    key: 'acmeDirectory',
    label: 'ACME directory URL',
    kind: 'text',
    hint: "empty: Let's Encrypt; or another ACME CA (Let's Encrypt staging, ZeroSSL, your own step-ca)",
    show: (s) => s.tlsMode === 'letsencrypt',
  },
  {
    key: 'acmeEmail',
    label: 'ACME account email',
    kind: 'text',
    hint: 'optional: where the CA sends expiry warnings',
    show: (s) => s.tlsMode === 'letsencrypt',
  },
  {
    key: 'acmeCaFile',
    label: "ACME CA's trust anchor (PEM)",
    kind: 'text',
    hint: 'only for a private CA whose HTTPS certificate the system does not trust',
    show: (s) => s.tlsMode === 'letsencrypt',
    file: { purpose: 'certificate', mode: 'open' },
  },
  {
    key: 'httpPort',
    label: 'HTTP port (captive-portal checks)',
    kind: 'number',
    hint: '-1 disables',
    show: (s) => s.tlsMode !== 'none',
  },
  { key: 'stunEnabled', label: 'Run a STUN server', kind: 'checkbox' },
  {
    key: 'stunListen',
    label: 'STUN addresses',
    kind: 'text',
    hint: 'comma-separated, e.g. 0.0.0.0:3478,[::]:3478',
    show: (s) => s.stunEnabled,
  },
  { key: 'regionId', label: 'Region ID', kind: 'number', hint: '900-999 for your own regions' },
  { key: 'regionCode', label: 'Region code', kind: 'text' },
  { key: 'regionName', label: 'Region name', kind: 'text' },
  { key: 'hostName', label: 'Public host name', kind: 'text' },
  { key: 'ipv4', label: 'Public IPv4', kind: 'text', hint: 'empty: resolve the host name; "none" disables IPv4' },
  { key: 'ipv6', label: 'Public IPv6', kind: 'text', hint: 'empty: resolve the host name; "none" disables IPv6' },
  {
    key: 'keyFile',
    label: 'Server key file',
    kind: 'text',
    hint: 'empty: derper.key in the app data directory',
    file: { purpose: 'key', mode: 'save' },
  },
  {
    key: 'allowKeysFile',
    label: 'Allowlist file',
    kind: 'text',
    hint: 'only node keys listed there may connect; empty: everyone',
    file: { purpose: 'allowlist', mode: 'save' },
  },
  {
    key: 'verifyClientUrl',
    label: 'Verify clients with URL',
    kind: 'text',
    hint: "derper's -verify-client-url; headscale serves it at /verify",
  },
  {
    key: 'verifyFailOpen',
    label: 'Admit clients when the verify URL is unreachable',
    kind: 'checkbox',
    show: (s) => !!s.verifyClientUrl,
  },
  {
    key: 'meshKeyFile',
    label: 'Mesh key file',
    kind: 'text',
    hint: "the region's shared 64-hex mesh key (derper's -mesh-psk-file)",
    file: { purpose: 'key', mode: 'open' },
  },
  {
    key: 'meshWith',
    label: 'Mesh with',
    kind: 'text',
    hint: 'peer servers, comma-separated: host, host/dialhost or a URL',
  },
  {
    key: 'rateLimitBytesPerSec',
    label: 'Per-client rate limit (bytes/s)',
    kind: 'number',
    hint: '0: off; mesh peers are exempt',
  },
  { key: 'rateBurstBytes', label: 'Per-client burst (bytes)', kind: 'number', show: (s) => s.rateLimitBytesPerSec > 0 },
  {
    key: 'startOnLaunch',
    label: 'Start the relay when the app starts',
    kind: 'checkbox',
    hint: 'also when derpdesk host starts; a failure shows here and in the log',
  },
];

/** headscale serves derper's admission contract at /verify: turn a headscale base URL into that endpoint. */
export function headscaleVerifyUrl(base: string): string {
  const b = base.trim().replace(/\/+$/, '');
  return b.endsWith('/verify') ? b : `${b}/verify`;
}
