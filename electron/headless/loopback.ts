/**
 * Whether an address given to `--listen` stays on this machine. Decided by parsing the address, never by how a
 * name looks: `127.evil.example` is a DNS name that can resolve anywhere, so only IP literals in 127.0.0.0/8,
 * ::1 and IPv4-mapped ::ffff:127.0.0.0/104, plus the literal name `localhost`, count as loopback.
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for an IP literal (IPv6 without brackets) on the loopback interface. */
export function isLoopbackIp(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1, ::ffff:7f00:1) against the IPv4 subnet.
  return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `--listen`'s host part: a loopback IP literal or exactly `localhost`. */
export function isLoopbackAddress(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackIp(host);
}
