/** "1 node", "2 nodes": counts in the map editor's sentences. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
