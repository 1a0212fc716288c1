/**
 * The relay's human-facing pages: the home page at / (derper's -home: default, "blank" or a redirect URL) and
 * the /debug/ index, which lists the debug endpoints and a few facts for an operator on the machine itself.
 */
import { PROTOCOL_VERSION } from '../derp/frames.js';

export type HomePage = { kind: 'default' } | { kind: 'blank' } | { kind: 'redirect'; url: string };

/** derper's -home values; anything else is refused at start, as derper refuses it. */
export function parseHomePage(value: string): HomePage {
  if (value === '') return { kind: 'default' };
  if (value === 'blank') return { kind: 'blank' };
  if (/^https?:\/\/[^\s]+$/.test(value)) return { kind: 'redirect', url: value };
  throw new Error(`-home "${value}" is not empty, "blank" or an http(s) URL`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderHomePage(opts: { derpEnabled: boolean; showDebugLink: boolean }): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>DERP relay</title></head>
<body>
<h1>DERP</h1>
<p>This is a DERP relay for <a href="https://tailscale.com/">Tailscale</a> and headscale clients, run by derpdesk.</p>
<p>It speaks DERP protocol version ${PROTOCOL_VERSION} at <code>/derp</code>; there is nothing else to see here.</p>
${opts.derpEnabled ? '' : '<p>Status: <b>disabled</b></p>\n'}${opts.showDebugLink ? "<p>Debug info at <a href='/debug/'>/debug/</a>.</p>\n" : ''}</body></html>
`;
}

export interface DebugIndex {
  /** Facts shown as a list, in order ("TLS hostname", "Mesh key", ...). */
  facts: Array<[string, string]>;
  /** Debug endpoints: path under /debug/ and what it shows. */
  links: Array<[string, string]>;
}

export function renderDebugIndex(index: DebugIndex): string {
  const facts = index.facts.map(([k, v]) => `<li><b>${escapeHtml(k)}:</b> ${escapeHtml(v)}</li>`).join('\n');
  const links = index.links
    .map(([p, what]) => `<li><a href="/debug/${escapeHtml(p)}">/debug/${escapeHtml(p)}</a> ${escapeHtml(what)}</li>`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>derpdesk relay debug</title></head>
<body>
<h1>derpdesk relay debug</h1>
<ul>
${facts}
</ul>
<ul>
${links}
</ul>
</body></html>
`;
}
