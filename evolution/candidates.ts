/**
 * The candidate stream of the built-in proposer: single edits in order of suspiciousness, then, when
 * `maxChanges` allows, pairs of the most suspicious edits (higher-order mutants), each candidate's
 * content hashed so that no candidate is ever produced twice.
 */
import { createHash } from "node:crypto";
import type { FileMap } from "../kernel/files.js";
import { applyEdits } from "./edits.js";
import type { Edit } from "./edits.js";

export interface Candidate {
  /** The built-in operators' edits; empty for a candidate proposed by a model. */
  edits: Edit[];
  /** Who proposed it and how: "builtin" with the operators' names, or "llm" with the model's operations. */
  origin: { proposer: "builtin" | "llm"; operator: string; description: string; changes: number };
  files: FileMap;
  /** Paths whose text differs from the base. */
  changed: string[];
  /** sha256 over the base tree id, the changed paths and their new text: equal hashes mean equal trees. */
  hash: string;
}

/** Top edits considered for pairing; pairs grow quadratically, so keep it small. */
export const PAIR_POOL = 24;

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
  if (maxChanges < 2) return;
  const pool = ordered.slice(0, PAIR_POOL);
  for (let i = 0; i < pool.length; i++) {
    for (let j = i + 1; j < pool.length; j++) {
      const a = pool[i]!;
      const b = pool[j]!;
      if (a.file === b.file && a.start < b.end && b.start < a.end) continue;
      const c = make([a, b]);
      if (c !== null) yield c;
    }
  }
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
  const origin = { proposer: "builtin" as const, operator: edits.map((e) => e.operator).join("+"), description: edits.map((e) => e.description).join("; "), changes: edits.length };
  return { edits, files, changed, hash, origin };
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
