interface Player {
  name: string;
  score: number;
  age: number;
}

/** Name of the player with the highest score (the first of equals); "" for none. */
export function topScorer(players: Player[]): string {
  let best: Player | null = null;
  for (const p of players) {
    if (best === null || p.age > best.score) best = p;
  }
  return best === null ? "" : best.name;
}
