/** What `derpdesk check` and the app's "one relay" source take as a target, and the words for what they refuse. */
import { describe, expect, it } from 'vitest';
import { relayTarget, resolveTarget } from '../../electron/diagnostics/target.js';

describe('check target', () => {
  it('a host:port given to `derpdesk check` without a scheme is read as a file, and the error gives the URLs meant', async () => {
    await expect(resolveTarget('127.0.0.1:3340')).rejects.toThrow(
      'cannot read 127.0.0.1:3340: no such file or directory; a relay is named by its URL (http://127.0.0.1:3340 for a relay without TLS, https://127.0.0.1:3340 with TLS)',
    );
    await expect(resolveTarget('/nonexistent/derp.yaml')).rejects.toThrow(
      /^cannot read \/nonexistent\/derp\.yaml: no such file or directory$/,
    );
  });

  it('"one relay" takes only a URL, and names the relay by region 900 with the STUN port given', async () => {
    await expect(relayTarget('/etc/derp/derp.yaml')).rejects.toThrow(
      '"/etc/derp/derp.yaml" is not a relay URL: give https://host[:port] or http://host:port; to check a map file',
    );
    await expect(relayTarget('[::1]:3340')).rejects.toThrow('(http://[::1]:3340 for a relay without TLS');
    const t = await relayTarget(' http://127.0.0.1:3340 ', 3479);
    expect(t).toMatchObject({ scheme: 'http', label: 'http://127.0.0.1:3340' });
    expect(t.map.Regions['900'].Nodes[0]).toMatchObject({ HostName: '127.0.0.1', DERPPort: 3340, STUNPort: 3479 });
  });
});
