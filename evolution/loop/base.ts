/**
 * Stage 2, measure the base: the tip is always measured afresh (a cached number cannot reveal that
 * it has degraded). When it scores below what it recorded when accepted and
 * `safety.rollbackOnRegression` is on, it is reverted, but only after the regression reproduces on a
 * second measurement, and never when every case crashed or timed out (the machine's fault, not the
 * agent's).
 */
import type { FileMap } from "../../kernel/files.js";
import { EvolveError } from "../../kernel/errors.js";
import { WorkspaceError, openWorkspace } from "../../workspace/open.js";
import type { Workspace } from "../../workspace/open.js";
import { createEvaluator } from "../../golden-tests/evaluate.js";
import type { Evaluator, Measurement } from "../../golden-tests/evaluate.js";
import { firstParentLog, revertGeneration } from "../../ledger/index.js";
import type { LogEntry } from "../../ledger/index.js";
import { recordedOf } from "../../ledger/record.js";
import type { GenerationRecord } from "../../ledger/record.js";
import { lastGeneration } from "../../ledger/generations.js";
import type { RunResources } from "./context.js";
import { MODEL_NONE } from "./context.js";
import type { OpenedRun } from "./open.js";
import type { RunEvent } from "./types.js";

const EPSILON = 1e-9;
/** Failure kinds that say nothing about the agent's code: the worker or the machine gave out. */
const INFRASTRUCTURE = new Set(["crash", "timeout", "exit", "memory"]);

export interface MeasuredBase {
  ws: Workspace;
  base: Measurement;
  /** The number the next committed generation gets. */
  generation: number;
  log: LogEntry[];
}

export async function measureBase(run: OpenedRun, res: RunResources, emit: (e: RunEvent) => void): Promise<MeasuredBase> {
  const { root, ws } = run;
  const evaluator = createEvaluator(ws.suite, res.sandbox, ws.config.sandbox);
  const log = await firstParentLog(root, ws.commit, { limit: 10_000, tags: false });
  const generation = lastGeneration(log) + 1;
  const base = await measureOrRefuse(evaluator, ws, "the committed agent does not build");
  // A measurement where every case crashed or timed out says nothing about the tree: never cached.
  if (!base.infrastructure) res.cache.set(ws.tree, ws.suite.hash, MODEL_NONE, base.measurement);
  const tip = log[0];
  const tipRecord = tip === undefined ? null : recordedOf(tip.trailers);
  // Only a score recorded with this very suite is comparable.
  const recorded = tipRecord !== null && tipRecord.suiteHash === ws.suite.hash ? tipRecord.score : null;
  const regressed = recorded !== null && base.measurement.score < recorded - EPSILON;
  if (!regressed || !ws.config.safety.rollbackOnRegression || tip === undefined || tip.parents.length === 0) return { ws, base: base.measurement, generation, log };

  let first = base;
  if (first.infrastructure) {
    // Every case crashed or timed out: a loaded machine or a dying pool, not the agent. Measure once
    // more before concluding anything; if it persists, stop rather than revert a good generation.
    first = await measureOrRefuse(evaluator, ws, "the committed agent does not build");
    if (first.infrastructure) {
      emit({ type: "rollback-skipped", commit: tip.commit, reason: `every case crashed or timed out (${first.kinds.join(", ")}): a sandbox fault, not a regression` });
      throw new EvolveError("sandbox-fault", `${root}: every case of the tip ${tip.commit.slice(0, 10)} crashed or timed out (${first.kinds.join(", ")}), twice; that is the sandbox or the machine, not a regression, so nothing was rolled back. Check sandbox.timeoutMs and sandbox.memoryMb, then run again`, { commit: tip.commit, kinds: first.kinds });
    }
    res.cache.set(ws.tree, ws.suite.hash, MODEL_NONE, first.measurement);
    if (first.measurement.score >= recorded - EPSILON) return { ws, base: first.measurement, generation, log };
  }
  // One low measurement is not evidence enough to write history: the regression must reproduce.
  const again = await measureOrRefuse(evaluator, ws, "the committed agent does not build");
  if (again.measurement.score >= recorded - EPSILON) {
    emit({ type: "rollback-skipped", commit: tip.commit, reason: `the tip scored ${first.measurement.score} once but ${again.measurement.score} on re-measuring (recorded ${recorded}): not reproduced` });
    return { ws, base: again.measurement, generation, log };
  }
  const reason = `the tip scores ${again.measurement.score} now (twice) but recorded ${recorded} when accepted`;
  const parentFiles = (await openWorkspace(root, tip.parents[0]!)).files;
  const parent = await measureFiles(evaluator, parentFiles);
  if (typeof parent === "string") throw new WorkspaceError(`${root}: cannot roll back ${tip.commit}: its parent does not build: ${parent}`);
  const record: GenerationRecord = {
    generation,
    action: "rollback",
    summary: `revert ${tip.subject.replace(/^evolve: /, "")}`,
    details: [`Reverts ${tip.commit}: ${reason}.`],
    parent: null,
    measurement: parent,
    fixed: [],
    proposer: "monitor",
    operator: "revert",
    suiteHash: ws.suite.hash,
    model: MODEL_NONE,
    seed: run.settings.seed,
    candidates: 0,
    reverts: tip.commit,
  };
  const reverted = await revertGeneration(root, { branch: run.branch, tip: ws.commit, target: tip.commit, record });
  emit({ type: "rollback", reverted: tip.commit, commit: reverted.commit, reason });
  const next = await openWorkspace(root);
  return { ws: next, base: parent, generation: generation + 1, log: await firstParentLog(root, next.commit, { limit: 10_000, tags: false }) };
}

async function measureOrRefuse(evaluator: Evaluator, ws: Workspace, what: string): Promise<{ measurement: Measurement; infrastructure: boolean; kinds: string[] }> {
  const built = await evaluator.build(ws.files);
  if (!built.ok) throw new WorkspaceError(`${ws.root}: ${what}: ${built.reason}`);
  const { measurement, outcomes } = await evaluator.run(built.code);
  const kinds = [...new Set(outcomes.map((o) => (o.ok ? "ok" : o.kind)))].sort();
  const infrastructure = outcomes.length > 0 && outcomes.every((o) => !o.ok && INFRASTRUCTURE.has(o.kind));
  return { measurement, infrastructure, kinds };
}

/** Build and run `files`; the build error's reason when it does not build. */
export async function measureFiles(evaluator: Evaluator, files: FileMap): Promise<Measurement | string> {
  const built = await evaluator.build(files);
  if (!built.ok) return built.reason;
  return (await evaluator.run(built.code)).measurement;
}
