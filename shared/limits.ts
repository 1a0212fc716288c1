/** Input size limits shared by the services and the renderer: a DERP map over a few MiB is not a DERP map. */
export const MAX_MAP_BYTES = 4 * 1024 * 1024;
export const MAX_TEXT_INPUT_BYTES = MAX_MAP_BYTES;
