/**
 * Untrusted input from a renderer (over IPC or the WebSocket bridge) is checked here before any service runs:
 * the call must be in the contract and its arguments of the right number and shape.
 */
import { CALL_NAMES, FILE_PURPOSES, type ApiHandlers, type CallName } from '../../shared/api.js';
import { MAX_TEXT_INPUT_BYTES } from '../../shared/limits.js';
import { SETTINGS_PATH_FIELDS } from '../../shared/settings.js';

const ARITY: Record<CallName, number> = {
  'relay.getState': 0,
  'relay.start': 0,
  'relay.stop': 0,
  'relay.stats': 0,
  'settings.get': 0,
  'settings.save': 1,
  'peers.list': 0,
  'stats.history': 0,
  'map.entry': 0,
  'trust.get': 0,
  'allowlist.get': 0,
  'allowlist.save': 1,
  'map.open': 1,
  'map.diff': 1,
  'map.save': 1,
  'map.export': 2,
  'map.headscale': 1,
  'diagnostics.run': 1,
  'diagnostics.cancel': 1,
  'diagnostics.history': 0,
  'diagnostics.get': 1,
  'diagnostics.export': 2,
  'files.canChoose': 0,
  'files.choose': 1,
};

export class BadRequestError extends Error {}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && (CALL_NAMES as readonly string[]).includes(name);
}

export async function dispatch(handlers: ApiHandlers, name: unknown, args: unknown): Promise<unknown> {
  if (!isCallName(name)) throw new BadRequestError(`unknown call ${JSON.stringify(name)}`);
  if (!Array.isArray(args) || args.length !== ARITY[name]) throw new BadRequestError(`${name} takes ${ARITY[name]} argument(s)`);
  if (name === 'settings.save' && (typeof args[0] !== 'object' || args[0] === null || Array.isArray(args[0]))) {
    throw new BadRequestError('settings.save takes a settings object');
  }
  if (name === 'allowlist.save' && typeof args[0] !== 'string') throw new BadRequestError('allowlist.save takes the file text');
  if ((name === 'diagnostics.cancel' || name === 'diagnostics.get' || name === 'diagnostics.export') && typeof args[0] !== 'string') throw new BadRequestError(`${name} takes a run id`);
  if (name === 'diagnostics.run' && (typeof args[0] !== 'object' || args[0] === null)) throw new BadRequestError('diagnostics.run takes a request object');
  if (name.startsWith('map.') && name !== 'map.entry' && (typeof args[0] !== 'object' || args[0] === null)) throw new BadRequestError(`${name} takes an object`);
  checkNested(name, args[0]);
  checkTextSize(name, args);
  const handler = handlers[name] as (...a: unknown[]) => Promise<unknown>;
  return handler(...args);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Fields that name files must be strings: a service would otherwise pass an object or number on to the file system. */
function checkNested(name: CallName, arg: unknown): void {
  const str = (v: unknown, what: string) => {
    if (typeof v !== 'string') throw new BadRequestError(`${name}: ${what} must be a string`);
  };
  const source = (src: unknown, what: string) => {
    if (!isObject(src)) throw new BadRequestError(`${name}: ${what} must be an object`);
    if (src.kind === 'file') str(src.path, `${what}.path`);
    if (src.kind === 'text') str(src.text, `${what}.text`);
  };
  if (name === 'map.open') source(arg, 'the source');
  if (name === 'diagnostics.run') source((arg as Record<string, unknown>).source, 'source');
  if (name === 'map.save' || name === 'map.diff') {
    str((arg as Record<string, unknown>).path, 'path');
    str((arg as Record<string, unknown>).baseText, 'baseText');
  }
  if (name === 'map.headscale') str((arg as Record<string, unknown>).configPath, 'configPath');
  if (name === 'settings.save') {
    for (const k of SETTINGS_PATH_FIELDS) if ((arg as Record<string, unknown>)[k] !== undefined) str((arg as Record<string, unknown>)[k], k);
  }
  if (name === 'files.choose') {
    if (!isObject(arg)) throw new BadRequestError('files.choose takes {mode, purpose, defaultPath?}');
    if (arg.mode !== 'open' && arg.mode !== 'save') throw new BadRequestError('files.choose: mode must be "open" or "save"');
    if (!(FILE_PURPOSES as readonly unknown[]).includes(arg.purpose)) throw new BadRequestError(`files.choose: purpose must be one of ${FILE_PURPOSES.join(', ')}`);
    if (arg.defaultPath !== undefined) str(arg.defaultPath, 'defaultPath');
  }
}

/** Every string in the arguments, however deep, is held to the text cap: a DERP map over a few MiB is not a DERP map. */
function checkTextSize(name: CallName, args: unknown[]): void {
  const stack: unknown[] = [...args];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.length > MAX_TEXT_INPUT_BYTES || Buffer.byteLength(v) > MAX_TEXT_INPUT_BYTES) {
        throw new BadRequestError(`${name}: a text argument is over ${MAX_TEXT_INPUT_BYTES / (1024 * 1024)} MiB; derpdesk handles maps and lists up to that size`);
      }
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (isObject(v)) {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
}
