/**
 * `evolve bisect --good REF --bad REF [--case ID | --metric COND]`: the first bad generation on
 * the first-parent chain. Exit 0 with an answer; 1 when the range holds none (nothing regressed,
 * the good end is bad, or unmeasurable commits leave it ambiguous); 2 for bad input.
 */
import { WorkspaceError } from "../../workspace/open.js";
import { bisectHistory } from "../../history/bisect.js";
import type { HistoryBisectReport } from "../../history/bisect.js";
import { formatStat } from "../../history/diff-stat.js";
import { parsePredicate } from "../../history/predicate.js";
import { c, EXIT, fixed, output, signed, setExitCode } from "../output.js";
import type { Out } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface BisectFlags {
  workspace?: string;
  good: string;
  bad: string;
  case?: string;
  metric?: string;
  suiteRef?: string;
  cache?: boolean;
  json?: boolean;
}

export async function bisectCommand(flags: BisectFlags): Promise<void> {
  const out = output(flags.json === true);
  const root = workspaceFromFlag(flags.workspace);
  if (flags.case === undefined && flags.metric === undefined) {
    throw new WorkspaceError('evolve bisect needs a predicate: --case ID (good while it passes) or --metric "score<0.9" (a condition that holds on bad commits)', "usage", { flag: "--case" });
  }
  const predicate = parsePredicate({ caseId: flags.case, metric: flags.metric });
  const report = await bisectHistory(root, { good: flags.good, bad: flags.bad, predicate, suiteRef: flags.suiteRef, cache: flags.cache !== false });
  print(out, report);
  if (out.isJson) out.json(report);
  if (report.firstBad === null) setExitCode(EXIT.failed);
}

function print(out: Out, r: HistoryBisectReport): void {
  for (const s of r.steps) {
    const v = s.verdict === "good" ? c.green("good") : s.verdict === "bad" ? c.red("bad ") : c.yellow("skip");
    out.say(`  ${v} ${s.commit.slice(0, 10)}${s.generation === null ? "" : ` gen ${s.generation}`}${s.cached ? c.dim(" (cached)") : ""}${s.reason === undefined ? "" : c.dim(`: ${s.reason}`)}`);
  }
  const cost = `${r.evaluations} evaluation${r.evaluations === 1 ? "" : "s"} (bound ${r.maxEvaluations} for ${r.rangeLength} commit${r.rangeLength === 1 ? "" : "s"}): ${r.measured} measured, ${r.cached} from cache`;
  const f = r.firstBad;
  if (f === null) {
    out.say(`${c.yellow("no first bad commit")}: ${r.reason ?? ""}`);
    if (r.candidates !== undefined) out.say(`  it is one of: ${r.candidates.map((x) => x.slice(0, 10)).join(" ")}`);
    out.say(cost);
    return;
  }
  const gen = f.generation === null ? "" : `generation ${f.generation}, `;
  out.say(`${c.bold("first bad")}: ${gen}commit ${c.bold(f.commit)}${f.tags.length > 0 ? ` (${f.tags.join(", ")})` : ""}`);
  out.say(`  ${f.subject}`);
  const pv = (v: boolean | number | null) => (typeof v === "boolean" ? (v ? "pass" : "FAIL") : v === null ? "-" : String(v));
  out.say(`  ${r.predicate}: ${pv(f.before.predicateValue)} -> ${pv(f.after.predicateValue)} (parent ${f.parent.commit.slice(0, 10)}${f.parent.generation === null ? "" : `, gen ${f.parent.generation}`})`);
  out.say(`  score ${fixed(f.before.score)} -> ${fixed(f.after.score)} (${signed(f.delta.score)})${f.delta.holdout === null ? "" : `, holdout ${signed(f.delta.holdout)}`}; ${f.before.passed}/${f.before.total} -> ${f.after.passed}/${f.after.total} pass`);
  out.say(`  ${f.files.length} file${f.files.length === 1 ? "" : "s"} changed, +${f.added} -${f.removed}: ${formatStat(f.files).join(", ")}`);
  out.say(cost);
}
