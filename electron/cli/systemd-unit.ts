/**
 * `--print-systemd-unit`: a unit file that runs the command as it was just invoked, under a dedicated user with
 * the hardening docs/service.md explains. The flags are written back from what was parsed, file paths made
 * absolute (a service does not start in the directory the operator was in), and quoted by systemd's rules.
 */
import path from 'node:path';
import type { FlagSpec, ParsedFlags } from './flags.js';
import { RELAY_V8_FLAGS } from './v8-flags.js';

/** Where systemd's StateDirectory=derpdesk puts the service's state. */
export const SERVICE_STATE_DIR = '/var/lib/derpdesk';
export const SERVICE_USER = 'derpdesk';

export interface UnitSpec {
  description: string;
  /** The CLI's arguments: the command and its flags. */
  args: string[];
  /** Folders outside the state directory the service writes to (made writable despite ProtectSystem=strict). */
  writablePaths: string[];
  environment?: Record<string, string>;
  /** Whether the command re-reads its files on SIGHUP (systemctl reload); without it, SIGHUP would stop it. */
  reloads: boolean;
}

/** The executable and script that run the CLI: this Node and the launcher it was started through. */
export function cliCommand(): string[] {
  return [process.execPath, ...RELAY_V8_FLAGS, path.resolve(process.argv[1] ?? 'derpdesk')];
}

/**
 * The given flags as `-name=value` words, in the order of `specs`, leaving out `omit`; values of the flags in
 * `pathFlags` are made absolute. One word per flag, so a value starting with "-" cannot be taken for a flag.
 */
export function flagWords(
  specs: FlagSpec[],
  parsed: ParsedFlags,
  opts: { dash: '-' | '--'; pathFlags: string[]; omit: string[] },
): string[] {
  const words: string[] = [];
  for (const s of specs) {
    if (!parsed.given.has(s.name) || opts.omit.includes(s.name)) continue;
    const v = parsed.values[s.name];
    const abs = (x: string) => (opts.pathFlags.includes(s.name) && x !== '' ? path.resolve(x) : x);
    if (s.type === 'list') for (const x of v as string[]) words.push(`${opts.dash}${s.name}=${abs(x)}`);
    else if (s.type === 'bool') words.push(v ? `${opts.dash}${s.name}` : `${opts.dash}${s.name}=false`);
    else words.push(`${opts.dash}${s.name}=${abs(String(v))}`);
  }
  return words;
}

/** Characters that need no quoting in an ExecStart= word. */
const PLAIN_WORD = /^[A-Za-z0-9_./:=,@+[\]-]+$/;

/**
 * One word of a unit setting. systemd expands `%` specifiers in every setting, and `$VAR` in ExecStart= words
 * (`dollars`), so those are doubled; anything beyond plain characters goes in double quotes with C-style escapes
 * for backslash, quote and control characters.
 */
export function quoteUnitWord(word: string, opts: { dollars: boolean }): string {
  let escaped = word.replace(/%/g, '%%');
  if (opts.dollars) escaped = escaped.replace(/\$/g, '$$$$');
  if (escaped !== '' && PLAIN_WORD.test(escaped)) return escaped;
  const inner = escaped.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\\' || c === '"') return `\\${c}`;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `"${inner}"`;
}

/** ProtectHome=true hides /home, /root and /run/user: Node or the CLI installed there must stay readable. */
function protectHome(command: string[]): string {
  const underHome = command.some((p) => /^\/(home|root|run\/user)(\/|$)/.test(p));
  return underHome ? 'read-only' : 'true';
}

export function renderUnit(spec: UnitSpec): string {
  const command = cliCommand();
  const execStart = [...command, ...spec.args].map((w) => quoteUnitWord(w, { dollars: true })).join(' ');
  const writable = [...new Set(spec.writablePaths.filter((p) => p !== SERVICE_STATE_DIR))];
  const env = Object.entries(spec.environment ?? {}).map(
    ([k, v]) => `Environment=${quoteUnitWord(`${k}=${v}`, { dollars: false })}`,
  );
  return [
    '# Written by derpdesk --print-systemd-unit; docs/service.md explains each setting.',
    `# Before enabling: useradd --system --home-dir ${SERVICE_STATE_DIR} --shell /usr/sbin/nologin ${SERVICE_USER}`,
    '[Unit]',
    `Description=${spec.description}`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${SERVICE_USER}`,
    `Group=${SERVICE_USER}`,
    `ExecStart=${execStart}`,
    ...(spec.reloads ? ['ExecReload=/bin/kill -HUP $MAINPID'] : []),
    'Restart=on-failure',
    'RestartSec=5s',
    '# Exit 2: bad flags or an unusable file, which a restart cannot fix.',
    'RestartPreventExitStatus=2',
    ...env,
    'StateDirectory=derpdesk',
    'StateDirectoryMode=0700',
    'UMask=0077',
    '# Ports 443 and 80 without root; nothing else.',
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ProtectHome=${protectHome(command)}`,
    ...(writable.length > 0
      ? [`ReadWritePaths=${writable.map((p) => quoteUnitWord(`-${p}`, { dollars: false })).join(' ')}`]
      : []),
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    '# A call outside the filter fails instead of killing the process: libuv falls back from io_uring.',
    'SystemCallErrorNumber=EPERM',
    '# No MemoryDenyWriteExecute: the V8 JIT writes executable memory.',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
