/** Generated maps at the size limit, for the tests that prove large maps do not stall the relay. */

/** One region of a headscale derp.yaml, with two nodes so validation has real work to do. */
function region(id: number, host: string): string {
  return [
    `  ${id}:`,
    `    regionid: ${id}`,
    `    regioncode: r${id}`,
    `    regionname: Region ${id}`,
    `    nodes:`,
    `      - name: ${id}a`,
    `        regionid: ${id}`,
    `        hostname: ${host}-${id}-a.example.com`,
    `        ipv4: 203.0.113.${id % 250}`,
    `        stunport: 3478`,
    `        derpport: 443`,
    `      - name: ${id}b`,
    `        regionid: ${id}`,
    `        hostname: ${host}-${id}-b.example.com`,
    `        ipv6: "2001:db8::${(id % 65535).toString(16)}"`,
    `        stunport: -1`,
    `        derpport: 8443`,
    '',
  ].join('\n');
}

/** A valid derp.yaml of just under `maxBytes` bytes; `host` varies the host names so two maps differ on every region. */
export function bigDerpYaml(maxBytes: number, host = 'derp'): string {
  const parts = ['# generated\nregions:\n'];
  let size = parts[0].length;
  for (let id = 1; ; id++) {
    const r = region(id, host);
    if (size + r.length > maxBytes) break;
    parts.push(r);
    size += r.length;
  }
  return parts.join('');
}
