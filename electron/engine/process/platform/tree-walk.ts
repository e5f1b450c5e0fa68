/**
 * Each root and its descendants, once each: `expand` takes a process and gives its children
 * ([] for a leaf, or for a process that is gone), or null to stop the walk, which then
 * returns false.
 */
export function walkTrees(roots: readonly number[], expand: (pid: number) => readonly number[] | null): boolean {
  const seen = new Set<number>();
  const todo = [...roots];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const kids = expand(pid);
    if (kids === null) return false;
    todo.push(...kids);
  }
  return true;
}
