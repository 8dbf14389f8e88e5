/**
 * `evolve bisect`: the first bad generation between a good and a bad ref, along the first-parent
 * chain, judged by a predicate (a case that must pass, or a metric condition), measuring each
 * commit exactly as `evolve run` does and reusing cached measurements.
 *
 * The search treats both ends as unverified: it bisects the positions good, c1, ..., bad plus a
 * virtual bad commit after `bad`, with a virtual good commit before `good`. Every answer is then
 * witnessed by two adjacent commits actually measured, the parent good and the culprit bad, and
 * a wrong `good` or `bad` is reported instead of blaming an innocent commit. That costs at most
 * ceil(log2(n + 2)) verdicts for n commits after `good`, which is within ceil(log2 n) + 1 for
 * n >= 2; a one-commit range trusts `good`, as `git bisect` does, and needs one verdict.
 */
import { errorMessage, EvolveError } from "../kernel/errors.js";
import { openWorkspace, WorkspaceError } from "../workspace/open.js";
import { firstParentRange, parseTrailers, readCommitInfo, resolveRef, tagsByCommit } from "../ledger/index.js";
import { bisect } from "./bisect-search.js";
import type { BisectResult, Verdict } from "./bisect-search.js";
import { commitDiff } from "./diff-stat.js";
import type { FileStat } from "./diff-stat.js";
import type { Measurement } from "../golden-tests/evaluate.js";
import { measureRef } from "./measure-ref.js";
import { evaluatePredicate } from "./predicate.js";
import type { Predicate } from "./predicate.js";
import { TRAILER } from "../ledger/record.js";

export interface HistoryBisectOptions {
  good: string;
  bad: string;
  predicate: Predicate;
  /** Judge every commit with the golden tests of this ref (default: each commit's own). */
  suiteRef?: string;
  /** Read and fill the evaluation cache (default true). */
  cache?: boolean;
}

/** One verdict the search asked for, in order. */
export interface HistoryBisectStep {
  commit: string;
  generation: number | null;
  verdict: "good" | "bad" | "skip";
  /** The measurement came from the evaluation cache. */
  cached: boolean;
  /** For skips: why the commit could not be judged. */
  reason?: string;
}

/** A commit as the report shows it. */
export interface CommitSummary {
  commit: string;
  generation: number | null;
  subject: string;
  tags: string[];
}

/** The culprit and what it changed. */
export interface FirstBad extends CommitSummary {
  parent: CommitSummary;
  /** Measurements of the parent and the culprit with the same suite. */
  before: MetricsSnapshot;
  after: MetricsSnapshot;
  /** after - before for the numeric metrics (holdout null when either side has none). */
  delta: { score: number; holdout: number | null; passed: number; failed: number };
  files: FileStat[];
  added: number;
  removed: number;
}

export interface MetricsSnapshot {
  score: number;
  holdout: number | null;
  passed: number;
  failed: number;
  total: number;
  /** The predicate's subject here: the case's pass/fail, or the metric's value. */
  predicateValue: boolean | number | null;
}

export interface HistoryBisectReport {
  good: string;
  bad: string;
  predicate: string;
  /** Commits after `good` up to `bad` on the first-parent chain. */
  rangeLength: number;
  firstBad: FirstBad | null;
  /** Why there is no answer. */
  reason?: string;
  /** When skipped commits leave it ambiguous: the commits that may be first bad, oldest first. */
  candidates?: string[];
  /** Verdicts the search needed (cache hits included); bounded by maxEvaluations. */
  evaluations: number;
  /** ceil(log2 n) + 1 for the n commits of the range. */
  maxEvaluations: number;
  /** Of the evaluations: measured in the sandbox now / taken from the evaluation cache. */
  measured: number;
  cached: number;
  /** Measurements made only for the report (the trusted parent of a one-commit range); not verdicts. */
  reportMeasurements: number;
  steps: HistoryBisectStep[];
}

// Stands for "a bad commit after `bad`" at the end of the searched chain; never evaluated.
const VIRTUAL_BAD = "(virtual bad commit after the range)";

export async function bisectHistory(root: string, options: HistoryBisectOptions): Promise<HistoryBisectReport> {
  const { predicate } = options;
  // Each refusal (ref-not-found, not-in-history, usage) is an EvolveError that names the revision.
  const good = await resolveRef(root, options.good);
  const bad = await resolveRef(root, options.bad);
  if (options.suiteRef !== undefined) await resolveRef(root, options.suiteRef);
  const range = await firstParentRange(root, options.good, options.bad);
  if (predicate.kind === "case") await requireCase(root, options, predicate.caseId, bad);

  const judge = createJudge(root, options);
  const n = range.length;
  const maxEvaluations = Math.ceil(Math.log2(n)) + 1;
  let result: BisectResult;
  let chain: string[];
  if (n === 1) {
    chain = range;
    result = await bisect(chain, judge.isGood, { good, knownGood: true });
  } else {
    chain = [good, ...range, VIRTUAL_BAD];
    result = await bisect(chain, judge.isGood, { knownBad: true });
  }
  const base = {
    good,
    bad,
    predicate: predicate.text,
    rangeLength: n,
    evaluations: result.evaluations,
    maxEvaluations,
    measured: judge.measured,
    cached: judge.cached,
    reportMeasurements: 0,
    steps: judge.steps,
  };
  if (result.firstBad === null) {
    const candidates = result.candidates?.filter((c) => c !== VIRTUAL_BAD);
    const reason = result.candidates?.includes(VIRTUAL_BAD) === true
      ? `${result.reason ?? ""}; ${bad} itself could not be judged`
      : (result.reason ?? "no answer");
    return { ...base, firstBad: null, reason, ...(candidates === undefined ? {} : { candidates }) };
  }
  if (result.firstBad === VIRTUAL_BAD) {
    return { ...base, firstBad: null, reason: `${options.bad} (${bad.slice(0, 10)}) is good: ${predicate.text} holds there, so nothing in the range regressed` };
  }
  if (result.firstBad === good) {
    return { ...base, firstBad: null, reason: `${options.good} (${good.slice(0, 10)}) is already bad: ${predicate.text} does not hold there, so the regression is older than the range` };
  }

  const culprit = result.firstBad;
  const parent = n === 1 ? good : chain[chain.indexOf(culprit) - 1]!;
  let reportMeasurements = 0;
  if (!judge.measurements.has(parent)) {
    const r = await judge.measure(parent);
    reportMeasurements++;
    if ("reason" in r) throw new EvolveError("agent-build", `cannot measure ${parent} for the report: ${r.reason}`, { commit: parent, reason: r.reason });
  }
  const firstBad = await describeFirstBad(root, predicate, parent, culprit, judge.measurements);
  return { ...base, reportMeasurements, firstBad };
}

/** A typo in the case id would otherwise make every commit a skip. */
async function requireCase(root: string, options: HistoryBisectOptions, caseId: string, bad: string): Promise<void> {
  const ws = await openWorkspace(root, options.suiteRef ?? bad);
  if (!ws.suite.cases.some((c) => c.id === caseId)) {
    throw new WorkspaceError(`case "${caseId}" is not in the golden suite at ${options.suiteRef ?? options.bad}; known cases: ${ws.suite.cases.map((c) => c.id).join(", ")}`, "not-found", {
      what: "case",
      id: caseId,
    });
  }
}

type Measured = { m: Measurement; cached: boolean } | { reason: string };

/** The search's verdicts: each commit measured (or read from the cache), judged, and logged as a step. */
interface Judge {
  isGood: (commit: string) => Promise<Verdict>;
  measure: (commit: string) => Promise<Measured>;
  measurements: Map<string, Measurement>;
  steps: HistoryBisectStep[];
  /** Verdicts measured in the sandbox now / taken from the cache. */
  measured: number;
  cached: number;
}

function createJudge(root: string, options: HistoryBisectOptions): Judge {
  const generations = new Map<string, number | null>();
  const generationOf = async (commit: string): Promise<number | null> => {
    if (!generations.has(commit)) generations.set(commit, (await summarize(root, commit)).generation);
    return generations.get(commit) ?? null;
  };
  const judge: Judge = {
    measurements: new Map<string, Measurement>(),
    steps: [],
    measured: 0,
    cached: 0,
    measure: async (commit) => {
      const r = await measureRef(root, commit, { suiteRef: options.suiteRef, cache: options.cache !== false });
      if (!r.ok) return { reason: `${r.stage}: ${r.reason}` };
      judge.measurements.set(commit, r.measurement);
      return { m: r.measurement, cached: r.cached };
    },
    isGood: async (commit) => {
      const r = await judge.measure(commit);
      const generation = await generationOf(commit);
      if ("reason" in r) {
        judge.measured++;
        judge.steps.push({ commit, generation, verdict: "skip", cached: false, reason: r.reason });
        return "skip";
      }
      if (r.cached) judge.cached++;
      else judge.measured++;
      let verdict: Verdict;
      let reason: string | undefined;
      try {
        verdict = evaluatePredicate(options.predicate, r.m);
      } catch (e) {
        verdict = "skip";
        reason = errorMessage(e);
      }
      judge.steps.push({ commit, generation, verdict: verdict === "skip" ? "skip" : verdict ? "good" : "bad", cached: r.cached, ...(reason === undefined ? {} : { reason }) });
      return verdict;
    },
  };
  return judge;
}

/** The culprit, its parent, their measurements and the diff between them. */
async function describeFirstBad(root: string, predicate: Predicate, parent: string, culprit: string, measurements: ReadonlyMap<string, Measurement>): Promise<FirstBad> {
  const before = snapshot(predicate, measurements.get(parent)!);
  const after = snapshot(predicate, measurements.get(culprit)!);
  const diff = await commitDiff(root, parent, culprit);
  const tags = await tagsByCommit(root);
  return {
    ...(await summarize(root, culprit, tags)),
    parent: await summarize(root, parent, tags),
    before,
    after,
    delta: {
      score: round6(after.score - before.score),
      holdout: after.holdout === null || before.holdout === null ? null : round6(after.holdout - before.holdout),
      passed: after.passed - before.passed,
      failed: after.failed - before.failed,
    },
    files: diff.files,
    added: diff.added,
    removed: diff.removed,
  };
}

function snapshot(p: Predicate, m: Measurement): MetricsSnapshot {
  const predicateValue = p.kind === "case" ? (m.results.find((r) => r.id === p.caseId)?.pass ?? null) : (m[p.metric] ?? null);
  return { score: m.score, holdout: m.holdout, passed: m.passed, failed: m.failed, total: m.total, predicateValue };
}

/** Subject, Evolve-Generation trailer and tags of a commit. */
export async function summarize(root: string, commit: string, tags: ReadonlyMap<string, string[]> = new Map()): Promise<CommitSummary> {
  const c = await readCommitInfo(root, commit);
  const value = parseTrailers(c.message).get(TRAILER.generation);
  const generation = value === undefined || !Number.isInteger(Number(value)) ? null : Number(value);
  return { commit, generation, subject: c.subject, tags: tags.get(commit) ?? [] };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
