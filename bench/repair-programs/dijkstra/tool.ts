/** Shortest distances from node 0 in a directed graph with non-negative weights: edges[u] = [v, w][]. */
export function shortestPaths(edges: [number, number][][]): number[] {
  const n = edges.length;
  const dist: number[] = new Array<number>(n).fill(Infinity);
  const done: boolean[] = new Array<boolean>(n).fill(false);
  if (n === 0) return [];
  dist[0] = 0;
  for (let round = 0; round < n; round++) {
    let u = -1;
    for (let k = 0; k < n; k++) if (!done[k] && (u === -1 || dist[k]! < dist[u]!)) u = k;
    if (u === -1 || dist[u] === Infinity) break;
    done[u] = true;
    for (const [v, w] of edges[u]!) {
      const nd = dist[u]! + w;
      if (nd > dist[v]!) dist[v] = nd;
    }
  }
  return dist.map((d) => (d === Infinity ? -1 : d));
}
