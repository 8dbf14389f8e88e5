/**
 * Known-good tags: `evolve tag NAME` runs the golden suite several times on a commit (never from
 * the cache) and tags it only if every run passes every mustPass case and all runs agree case by
 * case. The annotated tag carries the metrics twice: a JSON paragraph for programs and an
 * `Evolve-*` trailer block that native git reads (`git tag -l NAME --format='%(trailers)'`).
 */
import { EvolveError } from "../kernel/errors.js";
import { checkNewTagName, createAnnotatedTag, readCommitFiles, resolveRef, type Identity } from "../ledger/index.js";
import type { Measurement } from "../golden-tests/evaluate.js";
import { loadTreeSetup, measureRuns, withEvaluator } from "./measure-tree.js";
import { knownGoodMessage } from "./known-good-message.js";

/** A case whose outcome differed between runs. */
export interface FlakyCase {
  id: string;
  /** One entry per run: `pass 1` or `FAIL 0.5`. */
  outcomes: string[];
}

/** The verdict of the repeated runs. */
export interface StabilityReport {
  commit: string;
  tree: string;
  suiteHash: string;
  repeats: number;
  /** The first run (all runs agree when `ok`). */
  measurement: Measurement | null;
  /** mustPass cases failing in any run. */
  mustPassFailed: string[];
  flaky: FlakyCase[];
  /** Set when the tree does not build. */
  buildError: string | null;
  ok: boolean;
  /** One line per problem, empty when ok. */
  problems: string[];
}

/** The tag refused: the report says why. A failed check (exit 1), not refused input: the code is `unstable`. */
export class KnownGoodRefusal extends EvolveError<{ tag: string; commit: string; problems: string[] }> {
  override name = "KnownGoodRefusal";
  constructor(readonly report: StabilityReport, readonly tag: string) {
    super("unstable", `refusing to tag ${report.commit.slice(0, 10)} as ${tag}: ${report.problems.join("; ")}`, { tag, commit: report.commit, problems: report.problems });
  }
}

/** Run the suite `repeats` times on `ref` (one build, cache bypassed) and judge the runs. */
export async function checkStability(root: string, ref: string, repeats: number): Promise<StabilityReport> {
  const { commit, tree, files } = await readCommitFiles(root, ref);
  const setup = await loadTreeSetup(files, `${ref} (${commit.slice(0, 10)})`);
  const runs = await withEvaluator(setup, (evaluator) => measureRuns(evaluator, files, repeats));
  const base = { commit, tree, suiteHash: setup.suite.hash, repeats };
  if (!runs.ok) {
    return { ...base, measurement: null, mustPassFailed: [], flaky: [], buildError: runs.reason, ok: false, problems: [`it does not build: ${runs.reason}`] };
  }
  const mustPassFailed = [...new Set(runs.runs.flatMap((m) => m.mustPassFailed))];
  const flaky = flakyCases(runs.runs);
  const problems: string[] = [];
  if (mustPassFailed.length > 0) problems.push(`mustPass case${mustPassFailed.length === 1 ? "" : "s"} failing: ${mustPassFailed.join(", ")}`);
  if (flaky.length > 0) problems.push(`flaky over ${repeats} runs: ${flaky.map((f) => `${f.id} (${f.outcomes.join(" / ")})`).join(", ")}`);
  return { ...base, measurement: runs.runs[0]!, mustPassFailed, flaky, buildError: null, ok: problems.length === 0, problems };
}

/** Cases whose pass/score differ between runs, in suite order. */
export function flakyCases(runs: readonly Measurement[]): FlakyCase[] {
  const first = runs[0];
  if (first === undefined) return [];
  const out: FlakyCase[] = [];
  for (const r of first.results) {
    const seen = runs.map((m) => m.results.find((x) => x.id === r.id));
    const same = seen.every((x) => x !== undefined && x.pass === r.pass && x.score === r.score);
    if (!same) out.push({ id: r.id, outcomes: seen.map((x) => (x === undefined ? "missing" : `${x.pass ? "pass" : "FAIL"} ${x.score}`)) });
  }
  return out;
}

/** What tagKnownGood wrote. */
export interface KnownGoodTag {
  tag: string;
  /** The annotated tag object. */
  object: string;
  report: StabilityReport;
  message: string;
}

/**
 * Tag `ref` (default HEAD) as `name` after checkStability passes. Refuses (EvolveError, before any
 * run) an invalid or ambiguous tag name (`bad-ref-name`), an existing one (`tag-exists`), bad
 * repeats (`usage`) and an unknown ref (`ref-not-found`); an unstable tree throws KnownGoodRefusal
 * (nothing written).
 */
export async function tagKnownGood(root: string, name: string, options: { ref?: string; repeats: number; tagger?: Identity }): Promise<KnownGoodTag> {
  await checkNewTagName(root, name);
  if (!Number.isInteger(options.repeats) || options.repeats < 1) {
    throw new EvolveError("usage", `--repeats ${options.repeats}: expected a whole number >= 1`, { flag: "--repeats", value: options.repeats });
  }
  const ref = options.ref ?? "HEAD";
  await resolveRef(root, ref);

  const report = await checkStability(root, ref, options.repeats);
  if (!report.ok) throw new KnownGoodRefusal(report, name);
  const message = knownGoodMessage(report);
  // A tag someone created meanwhile is not overwritten.
  const object = await createAnnotatedTag(root, { name, commit: report.commit, message, ...(options.tagger === undefined ? {} : { tagger: options.tagger }) });
  return { tag: name, object, report, message };
}

export { checkNewTagName };
