/**
 * `evolve approve ID`: commit a candidate that a run held for approval (its diff was larger than
 * `safety.approvalAboveLines`) as the next generation. Held candidates are attempts in git notes
 * with stage "approval"; the diff is applied to the current tip exactly, and the result takes the
 * same path as any candidate of a run (gates, sandbox, judge, stability re-check, commit), so it is
 * committed only if it still applies and still improves the tip.
 */
import { EvolveError } from "../kernel/errors.js";
import { createEvaluator } from "../golden-tests/evaluate.js";
import { applyUnifiedDiff, firstParentLog, readAttempts } from "../ledger/index.js";
import type { AttemptRecord } from "../ledger/index.js";
import { lastGeneration } from "../ledger/generations.js";
import { isEvolvable } from "../workspace/config.js";
import { externalCandidate } from "./candidates.js";
import type { Candidate } from "./candidates.js";
import { startTypeCheckThread } from "./typecheck-thread.js";
import { openRun } from "./loop/open.js";
import { openRunContext } from "./loop/context.js";
import { measureFiles } from "./loop/base.js";
import { evaluateRound } from "./loop/scheduler.js";
import { selectWinner } from "./loop/select.js";
import { commitWinner } from "./loop/commit.js";
import { listSource } from "./loop/sources.js";
import { gateBase, newRunState } from "./loop/run-parts.js";
import type { AcceptedGeneration, RunEvent } from "./loop/types.js";

/** The held candidates recorded in the workspace (newest last), one per tree. */
export async function heldCandidates(root: string): Promise<AttemptRecord[]> {
  const byTree = new Map<string, AttemptRecord>();
  for (const a of await readAttempts(root)) if (a.metrics["stage"] === "approval" && a.tree !== "") byTree.set(a.tree, a);
  return [...byTree.values()];
}

/** The held candidate whose tree id starts with `id` (at least 4 hex digits). */
export async function findHeld(root: string, id: string): Promise<AttemptRecord> {
  if (!/^[0-9a-f]{4,40}$/.test(id)) throw new EvolveError("usage", `evolve approve: "${id}" is not a candidate id (4 to 40 hex digits, as \`evolve attempts\` and the run summary show them)`, { flag: "ID", value: id });
  const found = (await heldCandidates(root)).filter((a) => a.tree.startsWith(id));
  if (found.length === 0) throw new EvolveError("not-found", `evolve approve: no held candidate ${id} in ${root} (held ones are listed by \`evolve attempts\` with reason "held: ...")`, { what: "held candidate", id });
  if (found.length > 1) throw new EvolveError("usage", `evolve approve: ${id} names ${found.length} held candidates (${found.map((a) => a.tree.slice(0, 12)).join(", ")}); give more digits`, { flag: "ID", value: id });
  return found[0]!;
}

/** Re-evaluate held candidate `id` on the current tip and commit it as the next generation. */
export async function approveHeld(options: { dir: string; id: string; onEvent?: (e: RunEvent) => void }): Promise<{ attempt: AttemptRecord; generation: AcceptedGeneration }> {
  const started = performance.now();
  const opened = await openRun({ dir: options.dir, approveLarge: true });
  const { root, ws } = opened;
  const attempt = await findHeld(root, options.id);
  const patched = applyUnifiedDiff(ws.files, attempt.diff);
  if (!patched.ok) throw new EvolveError("stale-candidate", `evolve approve: candidate ${options.id} no longer applies to ${ws.commit.slice(0, 10)}: ${patched.path} changed since it was held; nothing was committed`, { id: options.id, path: patched.path, reason: "does not apply" });
  const context = await openRunContext(root, ws.config, {});
  const thread = await startTypeCheckThread(ws.files);
  try {
    const evaluator = createEvaluator(ws.suite, context.sandbox, ws.config.sandbox);
    const base = await measureFiles(evaluator, ws.files);
    if (typeof base === "string") throw new EvolveError("workspace", `${root}: the committed agent does not build: ${base}`);
    const log = await firstParentLog(root, ws.commit, { limit: 10_000, tags: false });
    const state = newRunState(opened, { ws, base, generation: lastGeneration(log) + 1, log }, [], options.onEvent ?? (() => {}), started);
    const candidate = candidateOf(attempt, ws.files, ws.tree, patched.files, state.seen);
    const evolvable = (p: string) => isEvolvable(ws.config, p);
    const round = await evaluateRound(state, gateBase(state, evolvable), [listSource("held", [candidate])], { evaluator, checker: thread, cache: context.cache, workers: ws.config.sandbox.workers });
    const tried = round.tried[0];
    if (tried?.verdict?.accept !== true) throw new EvolveError("stale-candidate", `evolve approve: candidate ${options.id} no longer improves ${ws.commit.slice(0, 10)}: ${tried?.reason ?? "not evaluated"}; nothing was committed`, { id: options.id, path: "", reason: tried?.reason ?? "" });
    const winner = await selectWinner(state, round.tried, evaluator);
    if (winner === null) throw new EvolveError("stale-candidate", `evolve approve: candidate ${options.id} did not hold up on re-checking: ${tried.reason}; nothing was committed`, { id: options.id, path: "", reason: tried.reason });
    return { attempt, generation: await commitWinner(state, winner, 1, context.modelId) };
  } finally {
    await thread.close();
    await context.close();
  }
}

function candidateOf(a: AttemptRecord, base: ReadonlyMap<string, string>, tree: string, files: ReadonlyMap<string, string>, seen: Set<string>): Candidate {
  const proposer = a.proposer === "llm" || a.proposer === "tune" ? a.proposer : "builtin";
  const c = externalCandidate(base, tree, files, { proposer, operator: a.operator, description: a.description, changes: Math.max(1, a.operator.split("+").length) }, seen);
  if (c === null) throw new EvolveError("stale-candidate", `evolve approve: candidate ${a.tree.slice(0, 10)} changes nothing on the current tip (already committed?)`, { id: a.tree, path: "", reason: "no change" });
  return c;
}
