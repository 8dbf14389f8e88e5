/** Fewest edges from node 0 to every node of an undirected graph given as adjacency lists; -1 when unreachable. */
export function bfsDistance(adj: number[][]): number[] {
  const dist = adj.map(() => -1);
  if (adj.length === 0) return dist;
  dist[0] = 0;
  const queue: number[] = [0];
  while (queue.length > 0) {
    const u = queue.pop()!;
    for (const v of adj[u]!) {
      if (dist[v] === -1) {
        dist[v] = dist[u]! + 1;
        queue.push(v);
      }
    }
  }
  return dist;
}
