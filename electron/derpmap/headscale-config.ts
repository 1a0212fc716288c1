/**
 * The `derp:` section of headscale's config.yaml: the embedded relay's settings and where headscale takes its DERP
 * maps from (urls, then paths). Read and written inside the user's whole config file, which is otherwise untouched.
 */
import { MapParseError, updateYaml } from './formats.js';
import { parseYamlInput } from './yaml-input.js';

export interface HeadscaleDerpServer {
  enabled?: boolean;
  region_id?: number;
  region_code?: string;
  region_name?: string;
  verify_clients?: boolean;
  stun_listen_addr?: string;
  private_key_path?: string;
  automatically_add_embedded_derp_region?: boolean;
  ipv4?: string;
  ipv6?: string;
}

export interface HeadscaleDerpSection {
  server?: HeadscaleDerpServer;
  urls?: string[];
  paths?: string[];
  auto_update_enabled?: boolean;
  update_frequency?: string;
}

export interface HeadscaleConfig {
  /** headscale's own URL (server_url): the embedded relay's host name and port come from it. */
  serverUrl?: string;
  derp: HeadscaleDerpSection;
}

export function parseHeadscaleConfig(text: string, file = 'config.yaml'): HeadscaleConfig {
  const all = (parseYamlInput(text, file) ?? {}) as Record<string, unknown>;
  const derp = all.derp;
  if (derp !== undefined && (typeof derp !== 'object' || derp === null || Array.isArray(derp)))
    throw new MapParseError(`${file}: "derp" must be a section (a map)`);
  return {
    serverUrl: typeof all.server_url === 'string' ? all.server_url : undefined,
    derp: (derp ?? {}) as HeadscaleDerpSection,
  };
}

/** Replaces the derp section in the config's source; everything outside it keeps its bytes. */
export function updateHeadscaleConfig(text: string, derp: HeadscaleDerpSection): string {
  const all = (parseYamlInput(text, 'config.yaml') ?? {}) as Record<string, unknown>;
  return updateYaml(text, { ...all, derp });
}
