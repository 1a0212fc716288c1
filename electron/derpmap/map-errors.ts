/** A map text that cannot be read, with where it failed when that is known. */
export class MapParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
