/**
 * The evolution loop: measure the branch tip, localise faults, stream candidates through the gates
 * (safety -> type-check -> build -> sandbox -> judge), commit the best accepted one as the next
 * generation, record the rest as attempts, repeat. The only module that wires sandbox, golden tests
 * and ledger together; every decision it makes is delegated to a pure function elsewhere.
 */
import type { FileMap } from "../kernel/files.js";
import { changedPaths } from "../kernel/files.js";
import { isEvolvable } from "../workspace/config.js";
import { openWorkspace, WorkspaceError } from "../workspace/open.js";
import type { GoldenCase } from "../golden-tests/index.js";
import type { Workspace } from "../workspace/open.js";
import { createSandbox } from "../sandbox/pool.js";
import {
  appendAttempts,
  candidateTreeOid,
  commitChanges,
  currentBranch,
  dirtyPaths,
  firstParentLog,
  openEvalCache,
  readAttempts,
  repairWorktree,
  unifiedDiff,
} from "../ledger/index.js";
import type { AttemptRecord, EvalCache, LogEntry } from "../ledger/index.js";
import { analyse, enumerateEdits } from "./analyse.js";
import type { Edit } from "./edits.js";
import { createTypeChecker } from "./typecheck.js";
import { startTypeCheckThread } from "./typecheck-thread.js";
import type { ThreadedTypeChecker } from "./typecheck-thread.js";
import { instrument, suspiciousness, weightFunction } from "./localise.js";
import { createRng } from "./rng.js";
import { candidateStream, combinationStream, PAIR_POOL } from "./candidates.js";
import { compareAccepted, focusedPairs, keepPassing, orderEdits } from "./search-policy.js";
import type { PatchShape } from "./search-policy.js";
import { freeTagName, lastGeneration } from "../ledger/generations.js";
import type { Candidate } from "./candidates.js";
import { createEvaluator } from "../golden-tests/evaluate.js";
import type { Evaluator, Measurement } from "../golden-tests/evaluate.js";
import { judge } from "./judge.js";
import type { CaseFlags, Verdict } from "./judge.js";
import { alertsFor, trends } from "./monitor.js";
import type { Alert, GenerationMetrics, Trend } from "./monitor.js";
import { reflect } from "./reflect.js";
import type { OperatorTry, Reflection } from "./reflect.js";
import { bodyOf, subjectOf, tagMessageOf, trailersOf, TRAILER } from "../ledger/record.js";
import type { Action, GenerationRecord } from "../ledger/record.js";
import { paramWeight, PARAMS_FILE } from "./param-weight.js";
import { formatMessage } from "../ledger/index.js";
import { resolveSettings, selectProvider } from "../agent/llm/index.js";
import type { Provider, ProviderFlags } from "../agent/llm/index.js";
import { proposeWithLlm } from "./llm-proposer.js";
import type { FailingCase } from "./llm-proposer.js";
import { externalCandidate } from "./candidates.js";

export interface RunOptions {
  /** Workspace root (a git repository with evolve.config.yaml). */
  dir: string;
  /** Overrides of evolve.config.yaml's `evolution` section. */
  generations?: number;
  candidatesPerGeneration?: number;
  budget?: number;
  seed?: number;
  /** Accept changes larger than `safety.approvalAboveLines` without asking (the human approved them up front). */
  approveLarge?: boolean;
  /** Asked for each change larger than `safety.approvalAboveLines` when not pre-approved; absent = refuse them. */
  approve?: (diff: string, summary: string) => Promise<boolean>;
  onEvent?: (event: RunEvent) => void;
  /** Where candidates come from: the built-in AST operators (default), a local model, or both. */
  proposer?: "builtin" | "llm" | "mixed";
  /** Overrides of the config's `model` section for the LLM proposer (--provider, --model, --base-url, --threads). */
  model?: ProviderFlags;
}

export type RunEvent =
  | { type: "start"; workspace: string; branch: string; generation: number; score: number; holdout: number | null; passed: number; total: number; budget: number; perGeneration: number; generations: number }
  | { type: "rollback"; reverted: string; commit: string; reason: string }
  | { type: "round"; generation: number; round: number; edits: number; suspicious: number }
  | { type: "candidate"; generation: number; evaluated: number; budget: number; stage: string; accepted: boolean; reason: string }
  | { type: "generation"; generation: number; commit: string; tag: string; score: number; holdout: number | null; delta: number; summary: string; fixed: string[] }
  | { type: "reflection"; reflection: Reflection }
  | { type: "alert"; alert: Alert }
  | { type: "stop"; reason: string };

export interface AcceptedGeneration {
  generation: number;
  commit: string;
  tag: string;
  score: number;
  holdout: number | null;
  delta: number;
  operator: string;
  summary: string;
  fixed: string[];
}

/** Per-stage wall time, ms, summed over the run. */
export interface StageTimes {
  propose: number;
  apply: number;
  typecheck: number;
  build: number;
  evaluate: number;
  commit: number;
}

export interface RunSummary {
  workspace: string;
  branch: string;
  initialCommit: string;
  finalCommit: string;
  initialScore: number;
  finalScore: number;
  initialHoldout: number | null;
  finalHoldout: number | null;
  passed: number;
  total: number;
  generations: AcceptedGeneration[];
  rounds: number;
  candidates: { evaluated: number; fromCache: number; refused: { safety: number; typecheck: number; build: number; approval: number }; perSecond: number };
  cache: { hits: number; misses: number };
  stages: StageTimes;
  wallMs: number;
  stopReason: string;
  alerts: Alert[];
  trends: Trend[];
  reflections: Reflection[];
  stillFailing: string[];
}

/** Outcome of one candidate, whatever gate stopped it. */
interface Tried {
  candidate: Candidate;
  tree: string;
  stage: "safety" | "typecheck" | "build" | "evaluate" | "approval" | "cache";
  measurement: Measurement | null;
  verdict: Verdict | null;
  reason: string;
  code?: string;
  diff: string;
}

const MODEL_NONE = "none";
const EPSILON = 1e-9;

export async function runEvolution(options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const root = options.dir;
  const branch = await currentBranch(root).catch((e: unknown) => {
    throw new WorkspaceError(`${root}: ${(e as Error).message}; evolve run commits to the current branch, so check one out first`);
  });
  // A run killed between moving the branch and writing the files leaves files at the parent's
  // content: bring those forward (anything else someone edited stays, and counts as dirty).
  await repairWorktree(root);
  const dirty = await dirtyPaths(root);
  if (dirty.length > 0) {
    throw new WorkspaceError(`${root}: the work tree has uncommitted changes (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", ..." : ""}); commit or stash them first, evolve will not overwrite them`);
  }
  let ws = await openWorkspace(root);
  const { config, suite } = ws;
  const evo = {
    generations: options.generations ?? config.evolution.generations,
    perGeneration: options.candidatesPerGeneration ?? config.evolution.candidatesPerGeneration,
    budget: options.budget ?? config.evolution.budget,
    seed: options.seed ?? config.evolution.seed,
  };
  if (config.safety.requireTestSuite && !suite.cases.some((c) => c.split === "train")) {
    throw new WorkspaceError(`${root}: no train cases under golden-tests/ (safety.requireTestSuite is on): evolve has nothing to judge candidates by`);
  }
  const flags: CaseFlags = new Map(suite.cases.map((c) => [c.id, { mustPass: c.mustPass, split: c.split }]));
  const toolOf = new Map(suite.cases.map((c) => [c.id, c.tool]));
  const evolvable = (p: string) => isEvolvable(config, p);
  const rng = createRng(evo.seed);

  const sandbox = createSandbox({ workers: config.sandbox.workers, timeoutMs: config.sandbox.timeoutMs, memoryMb: config.sandbox.memoryMb });
  const cache = await openEvalCache(root);
  const stages: StageTimes = { propose: 0, apply: 0, typecheck: 0, build: 0, evaluate: 0, commit: 0 };
  const refused = { safety: 0, typecheck: 0, build: 0, approval: 0 };
  let evaluated = 0;
  let fromCache = 0;
  const accepted: AcceptedGeneration[] = [];
  const alerts: Alert[] = [];
  const reflections: Reflection[] = [];
  const history: GenerationMetrics[] = [];
  let stopReason = "";
  let rounds = 0;
  // Hashes of every candidate produced in this run: none is built twice. Across runs the
  // evaluation cache (keyed by git tree id) plays that part.
  const seen = new Set<string>();
  // One warm type checker for the run: its program is shared with the operators' analysis and
  // reused (unchanged files not re-parsed) for every candidate of a base.
  // A new generation rebases it (re-parsing only what changed) instead of building a new one.
  let checker: { tree: string; check: ReturnType<typeof createTypeChecker> } | null = null;
  let threaded: { tree: string; check: ThreadedTypeChecker } | null = null;
  let threadStarting: Promise<ThreadedTypeChecker> | null = null;
  const checkerFor = (w: Workspace) => {
    if (checker === null) checker = { tree: w.tree, check: createTypeChecker(w.files) };
    else if (checker.tree !== w.tree) {
      checker.check.rebase(w.files);
      checker.tree = w.tree;
    }
    return checker.check;
  };

  // Attempts are pruned as they are written, so a long run cannot grow the repository without bound.
  const retention = { bases: config.history.attemptsRetention, perBase: config.history.attemptsPerBase };
  const proposerKind = options.proposer ?? "builtin";
  let provider: Provider | null = null;
  let modelId = MODEL_NONE;
  try {
    if (proposerKind !== "builtin") {
      provider = selectProvider(resolveSettings(config.model, options.model ?? {}, { workspace: root }));
      if (provider === null) throw new WorkspaceError(`--proposer ${proposerKind} needs a local model: set model.provider in evolve.config.yaml or pass --provider and --model`);
      const health = await provider.health();
      if (!health.ok) throw new WorkspaceError(`--proposer ${proposerKind}: ${health.problem}`);
      modelId = (await provider.info()).identity;
    }
    const evaluator = createEvaluator(suite, sandbox, config.sandbox);
    // The type-check thread's cold start (about a second) overlaps measuring the tip and localising.
    const threadBase = { tree: ws.tree };
    threadStarting = startTypeCheckThread(ws.files);
    threadStarting.catch(() => {});
    const log = await firstParentLog(root, ws.commit, { limit: 10_000, tags: false });
    let generation = lastGeneration(log) + 1;
    const tries: OperatorTry[] = await pastTries(root, log);
    const initialCommit = ws.commit;

    // The tip is always measured afresh: a cached number cannot reveal that it has degraded.
    const measuredTip = await measureTree(evaluator, ws.files);
    if (typeof measuredTip === "string") throw new WorkspaceError(`${root}: the committed agent does not build: ${measuredTip}`);
    let base = measuredTip;
    cache.set(ws.tree, suite.hash, MODEL_NONE, base);
    const recorded = recordedScore(log[0], suite.hash);
    if (recorded !== null && base.score < recorded - EPSILON && config.safety.rollbackOnRegression && log[0]!.parents.length > 0) {
      const reason = `the tip scores ${base.score} now but recorded ${recorded} when accepted`;
      const reverted = await rollbackTip(ws, log[0]!, generation, reason);
      emit({ type: "rollback", reverted: log[0]!.commit, commit: reverted.commit, reason });
      generation += 1;
      ws = await openWorkspace(root);
      base = reverted.measurement;
    }
    const initial = base;
    history.push(metricsOf(generation - 1, base));
    emit({ type: "start", workspace: root, branch, generation: generation - 1, score: base.score, holdout: base.holdout, passed: base.passed, total: base.total, budget: evo.budget, perGeneration: evo.perGeneration, generations: evo.generations });

    let stream: Iterator<Candidate> | null = null;
    // The search policy's state for the current base: its ordered edits, and whether the focused
    // pairs were already tried once its first stream ran dry.
    let lastOrdered: readonly Edit[] = [];
    let escalated = false;
    while (true) {
      if (isPerfect(base)) { stopReason = "every case passes"; break; }
      if (rounds >= evo.generations) { stopReason = `reached ${evo.generations} generation round${evo.generations === 1 ? "" : "s"}`; break; }
      if (evaluated >= evo.budget) { stopReason = `spent the budget of ${evo.budget} candidates`; break; }
      rounds += 1;

      if (stream === null || (rounds > 1 && (rounds - 1) % config.reflection.interval === 0)) {
        // A new base, or time to reflect: rebuild the ordered candidate stream.
        const failing = base.results.filter((r) => !r.pass).map((r) => ({ id: r.id, tool: toolOf.get(r.id) ?? "?", reason: r.reason }));
        const reflection = reflect(generation, failing, tries);
        reflections.push(reflection);
        emit({ type: "reflection", reflection });
        const t0 = performance.now();
        if (proposerKind === "llm") {
          // Only the model proposes: no operator stream to build.
          stream = ([] as Candidate[])[Symbol.iterator]();
        } else {
          const weight = await localise(evaluator, ws.files, evolvable, flags);
          const analysis = analyse(ws.files, evolvable, { program: checkerFor(ws).program() });
          const edits = enumerateEdits(analysis, { weight, rng, operators: operatorsOf(config.evolution.operators) });
          const ordered = orderEdits(edits, weight, reflection.factors);
          lastOrdered = ordered;
          escalated = false;
          stages.propose += performance.now() - t0;
          emit({ type: "round", generation, round: rounds, edits: ordered.length, suspicious: ordered.filter((e) => weight(e.file, e.start) > 0).length });
          stream = candidateStream(ws.files, ws.tree, ordered, config.safety.maxChangesPerCycle, seen)[Symbol.iterator]();
        }
      }

      // Candidates are type-checked in their own thread, so this thread stays free to hand finished
      // builds to sandbox workers; it follows the base like the analysis checker does.
      threaded ??= { tree: threadBase.tree, check: await threadStarting! };
      if (threaded.tree !== ws.tree) {
        await threaded.check.rebase(ws.files);
        threaded.tree = ws.tree;
      }
      const checker = threaded.check;
      const results: Tried[] = [];
      const inflight = new Set<Promise<void>>();
      let exhausted = false;
      let inRound = 0;
      let building: Promise<void> = Promise.resolve();
      const proposed: Candidate[] = [];
      const unusable: AttemptRecord[] = [];
      if (provider !== null) {
        const t0 = performance.now();
        const count = proposerKind === "llm" ? evo.perGeneration : Math.max(1, Math.floor(evo.perGeneration / 4));
        const context = { files: ws.files, evolvable, failing: failingCases(base, suite.cases), reflection: reflections.at(-1)?.plan, pastAttempts: await readAttempts(root, ws.commit), snapshotBudget: 1500 };
        for (const answer of await proposeWithLlm(provider, context, { count, temperature: 0.8, seed: evo.seed + rounds * 1009 })) {
          if (!answer.ok) {
            // Output that does not validate or apply is never half-used; it is kept with its reason.
            unusable.push({ generation, base: ws.commit, tree: "", operator: "llm-edit", proposer: "llm", description: "unusable model answer", diff: "", score: null, holdout: null, reason: `proposal: ${answer.reason}`, metrics: { stage: "proposal", raw: answer.raw.slice(0, 2000) }, at: new Date().toISOString() });
            continue;
          }
          const c = externalCandidate(ws.files, ws.tree, answer.candidate.files, { proposer: "llm", operator: "llm-edit", description: answer.candidate.description, changes: answer.candidate.ops.length }, seen);
          if (c !== null) proposed.push(c);
        }
        stages.propose += performance.now() - t0;
        if (unusable.length > 0) await appendAttempts(root, ws.commit, unusable, { retention });
      }
      while (inRound < evo.perGeneration && evaluated + inflight.size < evo.budget) {
        const t0 = performance.now();
        const next: IteratorResult<Candidate> = proposed.length > 0 ? { done: false, value: proposed.shift()! } : stream.next();
        stages.apply += performance.now() - t0;
        if (next.done === true) { exhausted = true; break; }
        const c = next.value;
        inRound += 1;
        const prepared = await prepare(c, ws, checker, base, flags);
        if (prepared.stage !== "evaluate") {
          results.push(prepared.stage === "cache" ? await approvalGate(prepared, config.safety.approvalAboveLines, options) : prepared);
          report(prepared, generation);
          continue;
        }
        // One esbuild build at a time: it runs in esbuild's own process while this thread
        // type-checks the next candidate, and hands its bundle to a free sandbox worker.
        await building;
        building = (async () => {
          const t = performance.now();
          const built = await evaluator.build(c.files);
          stages.build += performance.now() - t;
          if (!built.ok) {
            refused.build += 1;
            const failed: Tried = { ...prepared, stage: "build", reason: `build: ${built.reason}` };
            results.push(failed);
            report(failed, generation);
            return;
          }
          while (inflight.size >= config.sandbox.workers) await Promise.race(inflight);
          const p: Promise<void> = (async () => {
            const t1 = performance.now();
            const { measurement } = await evaluator.run(built.code);
            stages.evaluate += performance.now() - t1;
            evaluated += 1;
            const verdict = keepPassing(judge(base, measurement, flags, config.improvement.threshold));
            cache.set(prepared.tree, suite.hash, MODEL_NONE, measurement);
            const done: Tried = { ...prepared, code: built.code, stage: "evaluate", measurement, verdict, reason: verdict.reason };
            results.push(await approvalGate(done, config.safety.approvalAboveLines, options));
            report(done, generation);
          })().finally(() => inflight.delete(p));
          inflight.add(p);
        })();
      }
      await building;
      await Promise.all(inflight);
      // Persist the round's evaluations now, not only at the end: a run killed later in the round
      // (stability re-check, commit) resumes with them cached instead of evaluating them again.
      await cache.flush();

      const winners = results
        .filter((r) => r.verdict?.accept === true && r.stage !== "approval")
        .sort((a, b) => compareAccepted(rank(a), rank(b)));
      let winner: Tried | null = null;
      for (const w of winners) {
        const flaky = await stabilityProblem(w, evaluator, config.safety.recheckRepeats);
        if (flaky === null) { winner = w; break; }
        w.verdict = { ...w.verdict!, accept: false, reason: `rejected: ${flaky}` };
        w.reason = w.verdict.reason;
      }
      const rejected = results.filter((r) => r !== winner);
      if (rejected.length > 0) await appendAttempts(root, ws.commit, rejected.map((r) => attemptOf(r, generation, ws.commit)), { retention });
      for (const r of rejected) tries.push({ operator: r.candidate.origin.operator, accepted: false });

      if (winner === null) {
        // A model proposes anew every round; the operators' stream, once exhausted, has nothing more.
        if (exhausted && provider === null && !escalated && proposerKind !== "llm") {
          // Before giving up on this base: pairs of edits around its most suspicious lines.
          escalated = true;
          stream = combinationStream(ws.files, ws.tree, focusedPairs(lastOrdered, PAIR_POOL), seen)[Symbol.iterator]();
          continue;
        }
        if (exhausted && provider === null) { stopReason = "no candidate left to try from this tree"; break; }
        continue;
      }
      const t0 = performance.now();
      const record = generationRecord(generation, winner, base, suite.hash, evo.seed, inRound, modelId);
      const tag = await freeTagName(root, `gen-${generation}`, ws.commit);
      const changes = new Map(winner.candidate.changed.map((p) => [p, winner!.candidate.files.get(p) ?? null] as const));
      const committed = await commitChanges(root, {
        branch,
        parent: ws.commit,
        changes,
        message: formatMessage(subjectOf(record), bodyOf(record), trailersOf(record)),
        tagName: tag,
        tagMessage: tagMessageOf(record),
      });
      stages.commit += performance.now() - t0;
      if (committed.tree !== winner.tree) throw new Error(`internal: committed tree ${committed.tree} differs from the evaluated tree ${winner.tree}`);
      tries.push({ operator: record.operator, accepted: true });
      const m = winner.measurement!;
      const entry: AcceptedGeneration = { generation, commit: committed.commit, tag, score: m.score, holdout: m.holdout, delta: winner.verdict!.delta, operator: record.operator, summary: record.summary, fixed: record.fixed };
      accepted.push(entry);
      emit({ type: "generation", ...entry });
      history.push(metricsOf(generation, m));
      for (const alert of alertsFor(history, config.monitoring.alerts, config.monitoring.metrics)) {
        alerts.push(alert);
        emit({ type: "alert", alert });
      }
      ws = { ...ws, commit: committed.commit, tree: committed.tree, files: winner.candidate.files };
      base = m;
      generation += 1;
      stream = null;
    }
    await cache.flush();
    emit({ type: "stop", reason: stopReason });
    const wallMs = performance.now() - started;
    return {
      workspace: root,
      branch,
      initialCommit,
      finalCommit: ws.commit,
      initialScore: initial.score,
      finalScore: base.score,
      initialHoldout: initial.holdout,
      finalHoldout: base.holdout,
      passed: base.passed,
      total: base.total,
      generations: accepted,
      rounds,
      candidates: { evaluated, fromCache, refused, perSecond: round2(((evaluated + fromCache + sum(refused)) / wallMs) * 1000) },
      cache: { hits: cache.hits, misses: cache.misses },
      stages: { propose: round2(stages.propose), apply: round2(stages.apply), typecheck: round2(stages.typecheck), build: round2(stages.build), evaluate: round2(stages.evaluate), commit: round2(stages.commit) },
      wallMs: round2(wallMs),
      stopReason,
      alerts,
      trends: trends(history, config.monitoring.metrics),
      reflections,
      stillFailing: base.results.filter((r) => !r.pass).map((r) => r.id),
    };
  } finally {
    await sandbox.destroy();
    await provider?.close();
    await (threaded?.check ?? (await threadStarting?.catch(() => null)))?.close();
  }

  // --- steps, closed over the run's state ---

  async function prepare(c: Candidate, w: Workspace, checker: ThreadedTypeChecker, base: Measurement, flags: CaseFlags): Promise<Tried> {
    const diff = unifiedDiff(subset(w.files, c.changed), subset(c.files, c.changed));
    const blocked = c.changed.filter((p) => !evolvable(p));
    if (blocked.length > 0 || c.origin.changes > w.config.safety.maxChangesPerCycle) {
      refused.safety += 1;
      const reason = blocked.length > 0 ? `refused: ${blocked.join(", ")} is not evolvable (protected or outside the evolvable globs)` : `refused: ${c.origin.changes} edits exceed safety.maxChangesPerCycle (${w.config.safety.maxChangesPerCycle})`;
      return { candidate: c, tree: "", stage: "safety", measurement: null, verdict: null, reason, diff };
    }
    const changes = new Map(c.changed.map((p) => [p, c.files.get(p) ?? null] as const));
    const tree = await candidateTreeOid(root, w.commit, changes);
    const hit = cache.get(tree, suite.hash, MODEL_NONE) as Measurement | undefined;
    if (hit !== undefined) {
      fromCache += 1;
      const verdict = keepPassing(judge(base, hit, flags, w.config.improvement.threshold));
      // A cached tree is never re-evaluated; it can still win, but only through a fresh stability check.
      return { candidate: c, tree, stage: "cache", measurement: hit, verdict, reason: `${verdict.reason} (cached)`, diff };
    }
    const t = performance.now();
    const checked = await checker.check(c.files, c.changed);
    stages.typecheck += performance.now() - t;
    if (!checked.ok) {
      refused.typecheck += 1;
      return { candidate: c, tree, stage: "typecheck", measurement: null, verdict: null, reason: `type-check: ${checked.diagnostics[0] ?? "failed"}`, diff };
    }
    return { candidate: c, tree, stage: "evaluate", measurement: null, verdict: null, reason: "", diff };
  }

  function report(r: Tried, generation: number): void {
    emit({ type: "candidate", generation, evaluated: evaluated + fromCache + sum(refused), budget: evo.budget, stage: r.stage, accepted: r.verdict?.accept === true, reason: r.reason });
  }

  async function rollbackTip(w: Workspace, tip: LogEntry, generation: number, reason: string): Promise<{ commit: string; measurement: Measurement }> {
    const parentFiles = (await openWorkspace(root, tip.parents[0]!)).files;
    const changes = new Map(changedPaths(w.files, parentFiles).map((p) => [p, parentFiles.get(p) ?? null] as const));
    const measured = await measureTree(createEvaluator(suite, sandbox, config.sandbox), parentFiles);
    if (typeof measured === "string") throw new WorkspaceError(`${root}: cannot roll back ${tip.commit}: its parent does not build: ${measured}`);
    const measurement = measured;
    const record: GenerationRecord = {
      generation,
      action: "rollback",
      summary: `revert ${tip.subject.replace(/^evolve: /, "")}`,
      details: [`Reverts ${tip.commit}: ${reason}.`],
      parent: null,
      measurement,
      fixed: [],
      proposer: "monitor",
      operator: "revert",
      suiteHash: suite.hash,
      model: MODEL_NONE,
      seed: evo.seed,
      candidates: 0,
      reverts: tip.commit,
    };
    const tag = await freeTagName(root, `gen-${generation}`, w.commit);
    const out = await commitChanges(root, { branch, parent: w.commit, changes, message: formatMessage(subjectOf(record), bodyOf(record), trailersOf(record)), tagName: tag, tagMessage: tagMessageOf(record) });
    return { commit: out.commit, measurement };
  }
}

async function measureTree(evaluator: Evaluator, files: FileMap): Promise<Measurement | string> {
  const built = await evaluator.build(files);
  if (!built.ok) return built.reason;
  return (await evaluator.run(built.code)).measurement;
}

/** Spectrum-based fault localisation: one instrumented run of the whole suite, Ochiai per statement. */
async function localise(evaluator: Evaluator, files: FileMap, evolvable: (p: string) => boolean, flags: CaseFlags): Promise<(file: string, offset: number) => number> {
  const { files: instrumented, sites } = instrument(files, evolvable);
  const built = await evaluator.build(instrumented);
  if (!built.ok) return () => 0;
  const { measurement, outcomes } = await evaluator.run(built.code, { coverage: true });
  const passed = new Map(measurement.results.map((r) => [r.id, r.pass]));
  // Holdout cases never steer the search: they only veto.
  const runs = outcomes
    .filter((o) => flags.get(o.id)?.split !== "holdout")
    .map((o) => ({ covered: o.covered ?? [], passed: passed.get(o.id) === true }));
  const susp = suspiciousness(sites, runs);
  const code = weightFunction(sites, susp);
  return paramWeight(files, sites, susp, code);
}

async function approvalGate(t: Tried, limit: number, options: RunOptions): Promise<Tried> {
  if (t.verdict?.accept !== true) return t;
  const lines = changedLines(t.diff);
  if (lines <= limit || options.approveLarge === true) return t;
  const ok = options.approve !== undefined && (await options.approve(t.diff, t.candidate.origin.description));
  if (ok) return t;
  return { ...t, stage: "approval", reason: `held: ${lines} changed lines exceed safety.approvalAboveLines (${limit}); rerun with --approve-large to accept such changes` };
}

/** Re-runs the winner; any difference in what passes means its score cannot be trusted. */
async function stabilityProblem(w: Tried, evaluator: Evaluator, repeats: number): Promise<string | null> {
  if (repeats <= 0) return null;
  let code = w.code;
  if (code === undefined) {
    const built = await evaluator.build(w.candidate.files);
    if (!built.ok) return `build: ${built.reason}`;
    code = built.code;
  }
  const want = w.measurement!;
  for (let i = 0; i < repeats; i++) {
    const { measurement } = await evaluator.run(code);
    if (Math.abs(measurement.score - want.score) > EPSILON || measurement.passed !== want.passed) {
      return `flaky: score ${want.score} on first run, ${measurement.score} on re-check ${i + 1} of ${repeats}`;
    }
  }
  return null;
}

function generationRecord(generation: number, w: Tried, base: Measurement, suiteHash: string, seed: number, candidates: number, model: string): GenerationRecord {
  const { origin, changed, edits } = w.candidate;
  const fixed = w.verdict!.fixed;
  const details = edits.length > 0 ? edits.map((e) => `- ${e.description}`) : origin.description.split("; ").map((d) => `- ${d}`);
  return {
    generation,
    action: actionOf(changed),
    summary: `${origin.operator} in ${changed.join(", ")}${fixed.length > 0 ? `, fixes ${fixed.slice(0, 3).join(", ")}${fixed.length > 3 ? ", ..." : ""}` : ""}`,
    details,
    parent: base,
    measurement: w.measurement!,
    fixed,
    proposer: origin.proposer,
    operator: origin.operator,
    suiteHash,
    model: origin.proposer === "llm" ? model : MODEL_NONE,
    seed,
    candidates,
  };
}

/** The improvement action a change is, by what it touches. */
function actionOf(changed: readonly string[]): Action {
  if (changed.every((p) => p === PARAMS_FILE)) return "parameter-adjustment";
  if (changed.every((p) => p.startsWith("agent/prompts/"))) return "prompt-tuning";
  return "code-modification";
}

function attemptOf(r: Tried, generation: number, base: string): AttemptRecord {
  return {
    generation,
    base,
    tree: r.tree,
    operator: r.candidate.origin.operator,
    proposer: r.candidate.origin.proposer,
    description: r.candidate.origin.description,
    diff: r.diff,
    score: r.measurement?.score ?? null,
    holdout: r.measurement?.holdout ?? null,
    reason: r.reason,
    metrics: r.measurement === null ? { stage: r.stage } : { stage: r.stage, passed: r.measurement.passed, failed: r.measurement.failed, evalMs: r.measurement.evalMs },
    at: new Date().toISOString(),
  };
}

function rank(t: Tried): { score: number; holdout: number | null; shape: PatchShape } {
  return { score: t.measurement!.score, holdout: t.measurement!.holdout, shape: { changedLines: changedLines(t.diff), operators: t.candidate.origin.operator.split("+") } };
}

function changedLines(diff: string): number {
  return diff.split("\n").filter((l) => (l.startsWith("+") || l.startsWith("-")) && !l.startsWith("+++") && !l.startsWith("---")).length;
}

function recordedScore(tip: LogEntry | undefined, suiteHash: string): number | null {
  if (tip === undefined || tip.trailers.get(TRAILER.suiteHash) !== suiteHash) return null;
  const s = Number(tip.trailers.get(TRAILER.score));
  return Number.isFinite(s) ? s : null;
}

/** Learning memory, read back from git: accepted operators from trailers, rejected ones from attempt notes. */
async function pastTries(root: string, log: readonly LogEntry[]): Promise<OperatorTry[]> {
  const out: OperatorTry[] = [];
  for (const e of log) {
    const op = e.trailers.get(TRAILER.operator);
    if (op !== undefined && e.trailers.get(TRAILER.proposer) === "builtin") out.push({ operator: op, accepted: true });
  }
  for (const a of await readAttempts(root)) if (a.operator !== "") out.push({ operator: a.operator, accepted: false });
  return out;
}

/** What the model is told about each failing case: its call, what the assertions expect, why it failed. */
function failingCases(m: Measurement, cases: readonly GoldenCase[]): FailingCase[] {
  const byId = new Map(cases.map((c) => [c.id, c]));
  return m.results
    .filter((r) => !r.pass)
    .map((r) => {
      const c = byId.get(r.id);
      return { id: r.id, tool: c?.tool ?? "?", input: c?.args ?? [], expected: c?.assert.map((a) => ({ type: a.negate ? `not-${a.type}` : a.type, value: a.value })) ?? [], actual: r.reason, reason: r.reason };
    });
}

function isPerfect(m: Measurement): boolean {
  return m.failed === 0;
}

function metricsOf(generation: number, m: Measurement): GenerationMetrics {
  return { generation, score: m.score, holdout: m.holdout, passed: m.passed, failed: m.failed, evalMs: m.evalMs };
}

function operatorsOf(names: readonly string[]): Edit["operator"][] | undefined {
  return names.includes("all") ? undefined : (names as Edit["operator"][]);
}

function subset(files: FileMap, paths: readonly string[]): FileMap {
  const out = new Map<string, string>();
  for (const p of paths) {
    const t = files.get(p);
    if (t !== undefined) out.set(p, t);
  }
  return out;
}

function sum(o: Record<string, number>): number {
  return Object.values(o).reduce((a, b) => a + b, 0);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}


export type { EvalCache };
