/** What `derpdesk check` is pointed at: a map file, a map URL, or one relay (https://host[:port] or http://host:port). */
import type { DerpMap } from '../../shared/derpmap/model.js';
import { fetchMap } from '../derpmap/fetch.js';
import { parseMap } from '../derpmap/formats.js';
import { FileReadError, readTextFileBounded } from '../util/read-bounded.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { readableError } from './errors.js';

export interface CheckTarget {
  map: DerpMap;
  scheme: 'https' | 'http';
  /** How to describe it in the report. */
  label: string;
}

/**
 * One relay named by its URL, as the app's "one relay" source gives it. resolveTarget would take anything else for a
 * map file path, which the app must only read through its path guard; a "host:port" typed without a scheme gets the
 * two URLs it may mean.
 */
export function relayTarget(url: string, stunPort = 3478): Promise<CheckTarget> {
  const u = url.trim();
  if (/^https?:\/\//i.test(u)) return resolveTarget(u, stunPort);
  return Promise.reject(
    new Error(
      `"${u}" is not a relay URL: give https://host[:port] or http://host:port${urlsMeant(u)}; to check a map file, choose "a DERP map or headscale config file"`,
    ),
  );
}

/** For "host:port" typed without a scheme, the two URLs it may mean; else nothing. */
function urlsMeant(arg: string): string {
  return /^([\w.-]+|\[[\da-f:.]+\]):\d+$/i.test(arg)
    ? ` (http://${arg} for a relay without TLS, https://${arg} with TLS)`
    : '';
}

export async function resolveTarget(arg: string, stunPort = 3478): Promise<CheckTarget> {
  if (/^https?:\/\//.test(arg)) {
    let u: URL;
    try {
      u = new URL(arg);
    } catch {
      throw new Error(`${arg} is not a valid URL: give https://host[:port] (a relay) or the URL of a DERP map`);
    }
    const isRelay = u.pathname === '/' || u.pathname === '' || u.pathname === '/derp';
    if (!isRelay) return { map: (await fetchMap(arg)).map, scheme: 'https', label: arg };
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const map: DerpMap = {
      Regions: {
        '900': {
          RegionID: 900,
          RegionCode: 'target',
          RegionName: host,
          Nodes: [{ Name: host, RegionID: 900, HostName: host, DERPPort: port, STUNPort: stunPort }],
        },
      },
    };
    return { map, scheme: u.protocol === 'https:' ? 'https' : 'http', label: `${u.protocol}//${u.host}` };
  }
  const text = await readTextFileBounded(arg, MAX_MAP_BYTES).catch((e: unknown) =>
    Promise.reject(
      new Error(
        (e instanceof FileReadError ? e.message : `cannot read ${arg}: ${readableError(e)}`) +
          (urlsMeant(arg) && `; a relay is named by its URL${urlsMeant(arg)}`),
        { cause: e },
      ),
    ),
  );
  return { map: parseMap(text, arg).map, scheme: 'https', label: arg };
}
