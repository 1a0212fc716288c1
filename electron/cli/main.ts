/** `derpdesk <command>`: the terminal entry point. */
import { runCheck } from './check.js';
import { runHost } from './host.js';
import { runMap } from './map.js';
import { runProbe } from './probe.js';
import { runRelay } from './relay.js';
import { VERSION } from './version.js';
import { errorDetail } from '../../shared/errors.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  relay: { run: runRelay, help: 'run a DERP relay (derper-compatible flags)' },
  host: { run: runHost, help: 'run the app without a display and serve its GUI to a browser' },
  check: { run: runCheck, help: "check connectivity to a DERP map's nodes or one relay" },
  map: { run: runMap, help: 'validate or convert DERP maps (headscale derp.yaml, Tailscale JSON)' },
  probe: { run: runProbe, help: "monitor a DERP map's nodes as derpprobe does, with Prometheus metrics" },
};

function usage(): string {
  const lines = ['Usage: derpdesk <command> [flags]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.help}`);
  lines.push(
    '',
    'Flags:',
    '  --version  print the version and exit',
    '  --help     print this help',
    '',
    'Run "derpdesk <command> --help" for a command\'s flags; docs/service.md runs the relay or the host under systemd.',
  );
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(usage());
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-version' || cmd === '-v' || cmd === 'version') {
    process.stdout.write(`derpdesk ${VERSION}\n`);
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`derpdesk: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  return c.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`derpdesk: ${errorDetail(err)}\n`);
    process.exit(1);
  },
);
