/**
 * The gates a candidate passes, in order, each a function: safety (evolvable paths only, the change
 * limit) -> the evaluation cache -> type-check; after the sandbox and the judge, approval. A gate
 * returns the candidate's outcome when it stops it; the scheduler counts and reports.
 */
import type { FileMap } from "../../kernel/files.js";
import type { EvolveConfig } from "../../workspace/config.js";
import type { Measurement } from "../../golden-tests/evaluate.js";
import { candidateTreeOid, unifiedDiff } from "../../ledger/index.js";
import type { EvalCache } from "../../ledger/index.js";
import type { Candidate } from "../candidates.js";
import { judge } from "../judge.js";
import { keepPassing } from "../search-policy.js";
import type { CaseFlags } from "../judge.js";
import type { ThreadedTypeChecker } from "../typecheck-thread.js";
import { MODEL_NONE } from "./context.js";
import { changedLines } from "./state.js";
import type { RunSettings, Tried } from "./state.js";

/** What the gates read about the base a candidate is judged against. */
export interface GateBase {
  root: string;
  commit: string;
  files: FileMap;
  config: EvolveConfig;
  suiteHash: string;
  flags: CaseFlags;
  measurement: Measurement;
  evolvable: (path: string) => boolean;
}

/** Refused before any work: a path outside the evolvable globs (or protected), or too many edits. */
export function safetyGate(c: Candidate, base: GateBase, diff: string): Tried | null {
  const blocked = c.changed.filter((p) => !base.evolvable(p));
  const limit = base.config.safety.maxChangesPerCycle;
  if (blocked.length === 0 && c.origin.changes <= limit) return null;
  const reason = blocked.length > 0 ? `refused: ${blocked.join(", ")} is not evolvable (protected or outside the evolvable globs)` : `refused: ${c.origin.changes} edits exceed safety.maxChangesPerCycle (${limit})`;
  return { candidate: c, tree: "", stage: "safety", measurement: null, verdict: null, reason, diff };
}

/** A tree measured before (this run or an earlier one) is judged from the cache, never run again. */
export function cacheGate(c: Candidate, tree: string, base: GateBase, cache: EvalCache, diff: string): Tried | null {
  const hit = cache.get(tree, base.suiteHash, MODEL_NONE) as Measurement | undefined;
  if (hit === undefined) return null;
  const verdict = keepPassing(judge(base.measurement, hit, base.flags, base.config.improvement.threshold));
  // A cached tree can still win, but only through a fresh stability check.
  return { candidate: c, tree, stage: "cache", measurement: hit, verdict, reason: `${verdict.reason} (cached)`, diff };
}

export async function typecheckGate(c: Candidate, tree: string, checker: ThreadedTypeChecker, diff: string): Promise<Tried | null> {
  const checked = await checker.check(c.files, c.changed);
  if (checked.ok) return null;
  return { candidate: c, tree, stage: "typecheck", measurement: null, verdict: null, reason: `type-check: ${checked.diagnostics[0] ?? "failed"}`, diff };
}

/** The candidate's diff against the base. */
export function diffOf(c: Candidate, base: GateBase): string {
  return unifiedDiff(subset(base.files, c.changed), subset(c.files, c.changed));
}

/** The tree id the candidate would commit, computed without writing anything. */
export function treeOf(c: Candidate, base: GateBase): Promise<string> {
  return candidateTreeOid(base.root, base.commit, new Map(c.changed.map((p) => [p, c.files.get(p) ?? null] as const)));
}

/**
 * An accepted change larger than `safety.approvalAboveLines` waits for a person: pre-approved
 * with --approve-large, asked through `settings.approve`, or held (kept as an attempt that
 * `evolve approve ID` can commit later).
 */
export async function approvalGate(t: Tried, limit: number, settings: Pick<RunSettings, "approveLarge" | "approve">): Promise<Tried> {
  if (t.verdict?.accept !== true) return t;
  const lines = changedLines(t.diff);
  if (lines <= limit || settings.approveLarge) return t;
  const ok = settings.approve !== undefined && (await settings.approve(t.diff, t.candidate.origin.description));
  if (ok) return t;
  return { ...t, stage: "approval", reason: `held: ${lines} changed lines exceed safety.approvalAboveLines (${limit}); rerun with --approve-large, or \`evolve approve ${t.tree.slice(0, 10)}\`` };
}

function subset(files: FileMap, paths: readonly string[]): FileMap {
  const out = new Map<string, string>();
  for (const p of paths) {
    const t = files.get(p);
    if (t !== undefined) out.set(p, t);
  }
  return out;
}
