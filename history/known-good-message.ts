/**
 * The message of a known-good tag: a subject, the metrics as one JSON paragraph for programs, and
 * an `Evolve-*` trailer block native git reads (`git tag -l NAME --format='%(trailers)'`). Pure,
 * and kept apart from the check so `evolve log --all` can read tags without loading the sandbox.
 */
import { formatMessage } from "../ledger/trailers.js";
import type { Measurement } from "../golden-tests/evaluate.js";
import { TRAILER } from "../ledger/record.js";

/** Trailer key marking a known-good tag; its value is the number of agreeing runs. */
export const KNOWN_GOOD_TRAILER = "Evolve-Known-Good";

/** What the message records: the checked commit and the (identical) result of its runs. */
export interface KnownGoodFacts {
  commit: string;
  tree: string;
  suiteHash: string;
  repeats: number;
  measurement: Measurement | null;
}

/** The tag message: a subject, the metrics as one JSON paragraph, then a trailer block. */
export function knownGoodMessage(report: KnownGoodFacts): string {
  const m = report.measurement;
  if (m === null) throw new Error("knownGoodMessage: the report has no measurement");
  const failing = m.results.filter((r) => !r.pass).map((r) => r.id);
  const metrics = { score: m.score, holdout: m.holdout, passed: m.passed, failed: m.failed, total: m.total, evalMs: m.evalMs };
  const json = { knownGood: true, commit: report.commit, tree: report.tree, suiteHash: report.suiteHash, repeats: report.repeats, ...metrics, failing };
  const subject = `evolve known-good: score ${m.score}${m.holdout === null ? "" : `, holdout ${m.holdout}`}, ${m.passed}/${m.total} pass, same result in ${report.repeats} run${report.repeats === 1 ? "" : "s"}`;
  const trailers: Array<[string, string]> = [
    [KNOWN_GOOD_TRAILER, String(report.repeats)],
    [TRAILER.score, String(m.score)],
  ];
  if (m.holdout !== null) trailers.push([TRAILER.holdout, String(m.holdout)]);
  trailers.push([TRAILER.suiteHash, report.suiteHash], [TRAILER.metrics, JSON.stringify(metrics)]);
  return formatMessage(subject, JSON.stringify(json), trailers);
}
