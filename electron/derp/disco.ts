/** Tailscale's disco messages start with "TS💬"; the relay treats them specially (own queue, PeerGone replies). */
const DISCO_MAGIC = [0x54, 0x53, 0xf0, 0x9f, 0x92, 0xac];
/** Magic, 32-byte sender disco key, 24-byte nonce: anything shorter cannot be a disco packet. */
const DISCO_HEADER_LEN = DISCO_MAGIC.length + 32 + 24;

export const DISCO_MAGIC_BYTES = Uint8Array.from(DISCO_MAGIC);

export function looksLikeDisco(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < DISCO_HEADER_LEN) return false;
  for (let i = 0; i < DISCO_MAGIC.length; i++) {
    if (buf[start + i] !== DISCO_MAGIC[i]) return false;
  }
  return true;
}
