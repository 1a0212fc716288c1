/**
 * Command-line flags parsed the way Go's flag package does, so derper's invocations work unchanged:
 * `-a :443`, `--a=:443`, `-dev`, `-stun=false`. Parsing stops at the first non-flag argument or `--`.
 */

export class UsageError extends Error {}

interface FlagBase {
  name: string;
  help: string;
  /** Placeholder for the value in --help. */
  arg?: string;
}
export type FlagSpec =
  | (FlagBase & { type: 'string'; default: string })
  | (FlagBase & { type: 'int'; default: number })
  | (FlagBase & { type: 'float'; default: number })
  | (FlagBase & { type: 'bool'; default: boolean })
  /** A string flag that may be given several times; each use adds a value. */
  | (FlagBase & { type: 'list'; default: string[] });

export type FlagValues = Record<string, string | number | boolean | string[]>;

export interface ParsedFlags {
  values: FlagValues;
  /** Names given explicitly on the command line (for "-a given" vs "default" distinctions). */
  given: Set<string>;
  rest: string[];
  help: boolean;
}

export function parseFlags(specs: FlagSpec[], argv: string[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: FlagValues = Object.fromEntries(
    specs.map((s) => [s.name, Array.isArray(s.default) ? [...s.default] : s.default]),
  );
  const given = new Set<string>();
  let help = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'h' || name === 'help') {
      help = true;
      continue;
    }
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    let raw: string | undefined = eq < 0 ? undefined : body.slice(eq + 1);
    if (spec.type === 'bool') {
      if (raw === undefined) values[name] = true;
      else if (/^(1|t|true|TRUE|True)$/.test(raw)) values[name] = true;
      else if (/^(0|f|false|FALSE|False)$/.test(raw)) values[name] = false;
      else throw new UsageError(`invalid boolean value "${raw}" for -${name}`);
    } else {
      if (raw === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
        raw = argv[++i];
      }
      if (spec.type === 'int') {
        if (!/^-?\d+$/.test(raw)) throw new UsageError(`invalid value "${raw}" for -${name}: not an integer`);
        values[name] = Number(raw);
      } else if (spec.type === 'float') {
        const n = Number(raw);
        if (raw.trim() === '' || Number.isNaN(n))
          throw new UsageError(`invalid value "${raw}" for -${name}: not a number`);
        values[name] = n;
      } else if (spec.type === 'list') {
        // The first use replaces the default rather than adding to it.
        values[name] = given.has(name) ? [...(values[name] as string[]), raw] : [raw];
      } else {
        values[name] = raw;
      }
    }
    given.add(name);
  }
  return { values, given, rest: argv.slice(i), help };
}

export function formatUsage(usage: string, specs: FlagSpec[]): string {
  const lines = [usage, '', 'Flags:'];
  for (const s of specs) {
    const arg = s.type === 'bool' ? '' : ` ${s.arg ?? s.type}`;
    lines.push(`  -${s.name}${arg}`);
    const def =
      s.type === 'string'
        ? s.default
          ? ` (default "${s.default}")`
          : ''
        : s.type === 'list'
          ? s.default.length > 0
            ? ` (default ${s.default.map((d) => `"${d}"`).join(' ')}; repeatable)`
            : ' (repeatable)'
          : ` (default ${s.default})`;
    lines.push(`      ${s.help}${def}`);
  }
  return lines.join('\n') + '\n';
}
