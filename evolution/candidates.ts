/**
 * The candidate stream of the built-in proposer: single edits in order of suspiciousness, then, up
 * to `maxChanges` edits per candidate, pairs, triples, ... of the most suspicious edits
 * (higher-order mutants), each candidate's content hashed so that no candidate is ever produced
 * twice.
 */
import { createHash } from "node:crypto";
import type { FileMap } from "../kernel/files.js";
import { applyEdits } from "./edits.js";
import type { Edit } from "./edits.js";

export interface Candidate {
  /** The built-in operators' edits; empty for a candidate proposed by a model. */
  edits: Edit[];
  /** Who proposed it and how: "builtin" with the operators' names, "llm" with the model's operations, "tune" with a prompt or parameter variant. */
  origin: { proposer: "builtin" | "llm" | "tune"; operator: string; description: string; changes: number };
  files: FileMap;
  /** Paths whose text differs from the base. */
  changed: string[];
  /** sha256 over the base tree id, the changed paths and their new text: equal hashes mean equal trees. */
  hash: string;
}

/** Top edits considered for pairing; pairs grow quadratically, so keep it small. */
export const PAIR_POOL = 24;
/** Combinations of one size at most: the pool for triples and larger shrinks until C(pool, k) fits. */
const MAX_COMBINATIONS = 300;

/**
 * Lazily yields candidates. `seen` is shared across generations and runs so that a candidate already
 * evaluated (or refused) is skipped before any work is spent on it.
 */
export function* candidateStream(base: FileMap, baseTree: string, ordered: readonly Edit[], maxChanges: number, seen: Set<string>): Generator<Candidate> {
  const make = (edits: Edit[]) => makeCandidate(base, baseTree, edits, seen);
  for (const edit of ordered) {
    const c = make([edit]);
    if (c !== null) yield c;
  }
  for (let k = 2; k <= maxChanges; k++) {
    const pool = ordered.slice(0, poolSize(k, ordered.length));
    if (pool.length < k) return;
    for (const combo of combinations(pool.length, k)) {
      const edits = combo.map((i) => pool[i]!);
      if (overlapping(edits)) continue;
      const c = make(edits);
      if (c !== null) yield c;
    }
  }
}

/** The largest pool (at most PAIR_POOL edits) whose k-combinations number at most MAX_COMBINATIONS. */
function poolSize(k: number, available: number): number {
  let n = Math.min(PAIR_POOL, available);
  while (n > k && choose(n, k) > MAX_COMBINATIONS) n--;
  return n;
}

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Index sets of size k from 0..n-1 in lexicographic order (for k = 2: (0,1), (0,2), ..., (1,2), ...). */
function* combinations(n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield [...idx];
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]! += 1;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1;
  }
}

/** Two edits of one file whose ranges overlap cannot be applied together. */
function overlapping(edits: readonly Edit[]): boolean {
  for (let i = 0; i < edits.length; i++) {
    for (let j = i + 1; j < edits.length; j++) {
      const a = edits[i]!;
      const b = edits[j]!;
      if (a.file === b.file && a.start < b.end && b.start < a.end) return true;
    }
  }
  return false;
}

/** Candidates of given edit combinations (e.g. the search policy's focused pairs), skipping those seen before. */
export function* combinationStream(base: FileMap, baseTree: string, combos: readonly Edit[][], seen: Set<string>): Generator<Candidate> {
  for (const edits of combos) {
    const c = makeCandidate(base, baseTree, edits, seen);
    if (c !== null) yield c;
  }
}

function makeCandidate(base: FileMap, baseTree: string, edits: Edit[], seen: Set<string>): Candidate | null {
  let files: FileMap;
  try {
    files = applyEdits(base, edits);
  } catch {
    return null;
  }
  const changed = [...new Set(edits.map((e) => e.file))].filter((p) => files.get(p) !== base.get(p)).sort();
  if (changed.length === 0) return null;
  const hash = contentHash(baseTree, files, changed);
  if (seen.has(hash)) return null;
  seen.add(hash);
  return { edits, files, changed, hash, origin: builtinOrigin(edits) };
}

/** The origin of a candidate made of the built-in operators' `edits`: their names joined, their descriptions listed. */
export function builtinOrigin(edits: readonly Edit[]): Candidate["origin"] {
  return { proposer: "builtin", operator: edits.map((e) => e.operator).join("+"), description: edits.map((e) => e.description).join("; "), changes: edits.length };
}

/** A candidate whose files came from elsewhere (a model's edit operations); null when seen before or unchanged. */
export function externalCandidate(base: FileMap, baseTree: string, files: FileMap, origin: Candidate["origin"], seen: Set<string>): Candidate | null {
  const changed = [...new Set([...files.keys(), ...base.keys()])].filter((p) => files.get(p) !== base.get(p)).sort();
  if (changed.length === 0) return null;
  const hash = contentHash(baseTree, files, changed);
  if (seen.has(hash)) return null;
  seen.add(hash);
  return { edits: [], files, changed, hash, origin };
}

/** Hash of the base tree id plus the changed files' paths and contents: equal hashes, equal trees. */
export function contentHash(baseTree: string, files: FileMap, changed: readonly string[]): string {
  const h = createHash("sha256");
  h.update(baseTree);
  h.update("\0");
  for (const p of changed) {
    h.update(p);
    h.update("\0");
    h.update(files.get(p) ?? "\u0000deleted");
    h.update("\0");
  }
  return h.digest("hex");
}
