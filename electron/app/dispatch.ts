/**
 * Untrusted input from a renderer (over IPC or the WebSocket bridge) is checked here before any service runs:
 * the call must be in the contract (CALLS) and its arguments must pass that call's validators.
 */
import { CALLS, CALL_NAMES, type ApiHandlers, type CallName } from '../../shared/api.js';
import { MAX_TEXT_INPUT_BYTES } from '../../shared/limits.js';
import { argumentsProblem } from '../../shared/validate-args.js';

export class BadRequestError extends Error {}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && (CALL_NAMES as readonly string[]).includes(name);
}

export async function dispatch(handlers: ApiHandlers, name: unknown, args: unknown): Promise<unknown> {
  if (!isCallName(name)) throw new BadRequestError(`unknown call ${JSON.stringify(name)}`);
  const problem = argumentsProblem(name, CALLS[name], args);
  if (problem) throw new BadRequestError(problem);
  checkTextSize(name, args as unknown[]);
  const handler = handlers[name] as (...a: unknown[]) => Promise<unknown>;
  return handler(...(args as unknown[]));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every string in the arguments, however deep, is held to the text cap: a DERP map over a few MiB is not a DERP map. */
function checkTextSize(name: CallName, args: unknown[]): void {
  const stack: unknown[] = [...args];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.length > MAX_TEXT_INPUT_BYTES || Buffer.byteLength(v) > MAX_TEXT_INPUT_BYTES) {
        throw new BadRequestError(
          `${name}: a text argument is over ${MAX_TEXT_INPUT_BYTES / (1024 * 1024)} MiB; derpdesk handles maps and lists up to that size`,
        );
      }
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (isObject(v)) {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
}
