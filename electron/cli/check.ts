/** `derpdesk check`: netcheck + debug derp + derpprobe for a DERP map, a map URL, or one relay. */
import { runChecks } from '../diagnostics/engine.js';
import { formatReport } from '../diagnostics/report.js';
import { resolveTarget } from '../diagnostics/target.js';
import { UsageError, formatUsage, parseFlags, type FlagSpec } from './flags.js';
import { errorMessage } from '../../shared/errors.js';

const FLAGS: FlagSpec[] = [
  { name: 'region', type: 'string', default: '', arg: 'id|code', help: 'check only this region' },
  { name: 'json', type: 'bool', default: false, help: 'print the report as JSON' },
  { name: 'timeout', type: 'int', default: 5000, arg: 'ms', help: 'timeout of each step' },
  { name: 'stun-port', type: 'int', default: 3478, arg: 'port', help: 'STUN port of a relay given by URL' },
  { name: 'bandwidth', type: 'bool', default: false, help: 'also move 8 MB through each node and report MB/s' },
];
const USAGE =
  'Usage: derpdesk check <derp.yaml|map.json|map URL|https://host[:port]|http://host:port> [flags]\n\nChecks DNS, TCP, TLS, the DERP handshake and relaying, STUN and the captive-portal endpoint of every node.';
export async function runCheck(argv: string[]): Promise<number> {
  try {
    const f = parseFlags(
      FLAGS,
      argv.filter((a, i) => !(i === 0 && !a.startsWith('-'))),
    );
    if (f.help) {
      process.stdout.write(formatUsage(USAGE, FLAGS));
      return 0;
    }
    const target = argv[0] && !argv[0].startsWith('-') ? argv[0] : f.rest[0];
    if (!target) throw new UsageError('name a DERP map file, a map URL or a relay URL');
    const stunPort = Number(f.values['stun-port']);
    if (stunPort !== -1 && !(stunPort >= 1 && stunPort <= 65535))
      throw new UsageError(`--stun-port ${stunPort} is not a port: give 1 to 65535, or -1 to skip STUN`);
    const t = await resolveTarget(target, stunPort);
    const report = await runChecks(t.map, {
      region: String(f.values.region) || undefined,
      scheme: t.scheme,
      timeoutMs: Number(f.values.timeout),
      bandwidthBytes: f.values.bandwidth ? 8_000_000 : undefined,
    });
    process.stdout.write(f.values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, t.label));
    return report.nodes.some((n) => n.steps.some((s) => s.status === 'fail')) ? 1 : 0;
  } catch (err) {
    process.stderr.write(`derpdesk check: ${errorMessage(err)}\n`);
    return 2;
  }
}
