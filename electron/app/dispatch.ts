/**
 * Untrusted input from a renderer (over IPC or the WebSocket bridge) is checked here before any service runs:
 * the call must be in the contract and its arguments of the right number and shape.
 */
import { CALL_NAMES, type ApiHandlers, type CallName } from '../../shared/api.js';

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
  const handler = handlers[name] as (...a: unknown[]) => Promise<unknown>;
  return handler(...args);
}
