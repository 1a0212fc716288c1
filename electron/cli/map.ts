/** `derpdesk map validate FILE` and `derpdesk map convert FILE --to yaml|json`. */
import { MapParseError, detectFormat, parseMap, serializeMap } from '../derpmap/formats.js';
import { parseYamlInput } from '../derpmap/yaml-input.js';
import { isHeadscaleConfig, validateHeadscaleFile } from './map-headscale.js';
import { MapShapeError } from '../derpmap/convert.js';
import { validateMap } from '../../shared/derpmap/validate.js';
import { UsageError, formatUsage, parseFlags, type FlagSpec } from './flags.js';
import { FileReadError, readTextFileBounded } from '../util/read-bounded.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { errorMessage } from '../../shared/errors.js';

const USAGE = `Usage:
  derpdesk map validate FILE            check a derp.yaml, DERPMap JSON or headscale config.yaml (its derp section
                                        and the map files it names); exit 1 when it has errors
  derpdesk map convert FILE --to FORMAT write FILE as yaml (headscale derp.yaml) or json (Tailscale DERPMap) to stdout`;
const FLAGS: FlagSpec[] = [
  { name: 'to', type: 'string', default: '', arg: 'yaml|json', help: 'output format for convert' },
];

async function load(file: string) {
  return parseMap(await readText(file), file);
}

/** A file system error's message already names the file (shared/errors.ts); anything else gets it added. */
const namingFile = (file: string, message: string) =>
  message.includes(file) ? message : `cannot read ${file}: ${message}`;

async function readText(file: string): Promise<string> {
  try {
    return await readTextFileBounded(file, MAX_MAP_BYTES);
  } catch (err) {
    throw new UsageError(err instanceof FileReadError ? err.message : namingFile(file, errorMessage(err)), {
      cause: err,
    });
  }
}

export async function runMap(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (!sub || sub === '--help' || sub === '-h') {
      process.stdout.write(formatUsage(USAGE, FLAGS));
      return sub ? 0 : 2;
    }
    // Flags may follow the file name here (`convert FILE --to json`).
    const file = rest.find(
      (a) => !a.startsWith('-') && rest[rest.indexOf(a) - 1] !== '--to' && rest[rest.indexOf(a) - 1] !== '-to',
    );
    const f = parseFlags(
      FLAGS,
      rest.filter((a) => a !== file),
    );
    if (!file) throw new UsageError('name a map file');
    if (sub === 'validate') {
      const text = await readText(file);
      if (detectFormat(text, file) === 'yaml' && isHeadscaleConfig(parseYamlInput(text, file)))
        return await validateHeadscaleFile(file, text, load, (line) => process.stdout.write(`${line}\n`));
      const { map, format } = parseMap(text, file);
      const issues = validateMap(map);
      const errors = issues.filter((i) => i.severity === 'error');
      for (const i of issues)
        process.stdout.write(`${i.severity === 'error' ? 'error  ' : 'warning'} ${i.path}: ${i.message}\n`);
      const regions = Object.keys(map.Regions).length;
      process.stdout.write(
        `${file}: ${format.toUpperCase()}, ${regions} region${regions === 1 ? '' : 's'}, ${errors.length} error${errors.length === 1 ? '' : 's'}, ${issues.length - errors.length} warning${issues.length - errors.length === 1 ? '' : 's'}\n`,
      );
      return errors.length > 0 ? 1 : 0;
    }
    if (sub === 'convert') {
      const to = String(f.values.to);
      if (to !== 'yaml' && to !== 'json') throw new UsageError('--to must be yaml or json');
      const { map } = await load(file);
      process.stdout.write(serializeMap(map, to));
      return 0;
    }
    throw new UsageError(`unknown map command "${sub}"`);
  } catch (err) {
    if (err instanceof UsageError || err instanceof MapParseError || err instanceof MapShapeError) {
      process.stderr.write(`derpdesk map: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
