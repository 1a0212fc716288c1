/** The noun for a count: singular for exactly one ("1 node", "0 nodes", "2 nodes"). */
export function nounFor(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** "1 node", "2 nodes": a count and its noun, for sentences in the pages, the CLI and the exports. */
export function countOf(n: number, one: string, many?: string): string {
  return `${n} ${nounFor(n, one, many)}`;
}
