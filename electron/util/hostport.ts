/** Go-style `host:port` strings as derper's flags take them: ":443", "0.0.0.0:3340", "[::1]:443". */
export interface HostPort {
  /** Empty for "all addresses". */
  host: string;
  port: number;
}

export function parseHostPort(text: string, what = 'address'): HostPort {
  const t = text.trim();
  let host: string;
  let portText: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0 || t[close + 1] !== ':') throw new Error(`${what} "${text}": expected [ipv6]:port`);
    host = t.slice(1, close);
    portText = t.slice(close + 2);
  } else {
    const colon = t.lastIndexOf(':');
    if (colon < 0) throw new Error(`${what} "${text}": missing port (use host:port or :port)`);
    host = t.slice(0, colon);
    portText = t.slice(colon + 1);
    if (host.includes(':')) throw new Error(`${what} "${text}": IPv6 addresses need brackets, e.g. [::1]:443`);
  }
  if (!/^\d+$/.test(portText)) throw new Error(`${what} "${text}": port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) throw new Error(`${what} "${text}": port ${port} is out of range (0-65535)`);
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
