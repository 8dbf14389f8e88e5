/**
 * `evolve show REF`: one generation in full: why it was accepted (its message), its metrics (from
 * the trailers), which cases it flipped (it and its parent measured with its suite; cached
 * measurements are reused) and what it changed (diff stat and diff).
 */
import type { ParsedCommit } from "../../ledger/commit-object.js";
import { openHistory } from "../../ledger/history-read.js";
import { parseTrailers } from "../../ledger/trailers.js";
import { commitDiff, formatStat, type CommitDiff } from "../../history/diff-stat.js";
import { measureRef } from "../../history/measure-ref.js";
import { flippedCases } from "../../history/measure-tree.js";
import { round6, TRAILER } from "../../ledger/record.js";
import { c, fail, fixed, output, signed, type Out } from "../output.js";
import { resolveUserRef } from "./ref-arg.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface ShowFlags {
  workspace?: string;
  json?: boolean;
  /** false with --no-measure: skip the measurements (no flipped cases). */
  measure?: boolean;
  cache?: boolean;
  /** Diff stat only, no patch. */
  stat?: boolean;
}

export async function showCommand(ref: string, flags: ShowFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const root = workspaceFromFlag(flags.workspace);
    const commit = await resolveUserRef(root, ref);
    const history = await openHistory(root);
    const parsed = await history.commit(commit);
    const parent = parsed.parents[0] ?? null;
    const trailers = parseTrailers(parsed.message);
    const subject = parsed.message.split("\n", 1)[0] ?? "";
    const body = bodyWithoutTrailers(parsed.message);
    const tags = history.tagsByCommit().get(commit)?.sort() ?? [];
    history.save();
    const diff = await commitDiff(root, parent, commit);
    const generation = numberOr(trailers.get(TRAILER.generation));
    const metrics = parseMetrics(trailers.get(TRAILER.metrics));

    const { measured, measureProblem } = flags.measure !== false ? await measureWithParent(root, commit, parent, flags.cache !== false) : { measured: null, measureProblem: null };

    if (out.isJson) {
      out.json({
        commit,
        tree: parsed.tree,
        parents: parsed.parents,
        generation,
        tags,
        author: parsed.author,
        timestamp: parsed.timestamp,
        subject,
        body,
        trailers: Object.fromEntries(trailers),
        metrics,
        measured,
        measureProblem,
        files: diff.files,
        added: diff.added,
        removed: diff.removed,
        ...(flags.stat === true ? {} : { diff: diff.patch }),
      });
      return;
    }
    sayShown(out, { commit, parsed, parent, generation, tags, subject, body, trailers, metrics, measured, measureProblem, diff }, flags.stat === true);
  } catch (e) {
    fail(e);
  }
}

/** The commit and its parent measured now, each with the commit's suite. */
interface Measured {
  score: number;
  parentScore: number | null;
  delta: number | null;
  fixed: string[];
  broken: string[];
  cached: boolean;
}

async function measureWithParent(root: string, commit: string, parent: string | null, cache: boolean): Promise<{ measured: Measured | null; measureProblem: string | null }> {
  const now = await measureRef(root, commit, { cache });
  if (!now.ok) return { measured: null, measureProblem: `${commit.slice(0, 10)} cannot be measured: ${now.reason}` };
  if (parent === null) return { measured: { score: now.measurement.score, parentScore: null, delta: null, fixed: [], broken: [], cached: now.cached }, measureProblem: null };
  // The parent is judged by this commit's suite, so a flip is the agent's change, not the suite's.
  const before = await measureRef(root, parent, { cache, suiteRef: commit });
  const measureProblem = before.ok ? null : `the parent ${parent.slice(0, 10)} cannot be measured: ${before.reason}`;
  const flips = before.ok ? flippedCases(before.measurement, now.measurement) : { fixed: [], broken: [] };
  const parentScore = before.ok ? before.measurement.score : null;
  const measured: Measured = {
    score: now.measurement.score,
    parentScore,
    delta: parentScore === null ? null : round6(now.measurement.score - parentScore),
    ...flips,
    cached: now.cached && (!before.ok || before.cached),
  };
  return { measured, measureProblem };
}

/** What `evolve show` prints about one commit. */
interface Shown {
  commit: string;
  parsed: ParsedCommit;
  parent: string | null;
  generation: number | null;
  tags: string[];
  subject: string;
  body: string;
  trailers: ReadonlyMap<string, string>;
  metrics: Record<string, unknown> | null;
  measured: Measured | null;
  measureProblem: string | null;
  diff: CommitDiff;
}

function sayShown(out: Out, shown: Shown, stat: boolean): void {
  const { commit, parsed, parent, generation, tags, subject, body, trailers, metrics, measured, measureProblem, diff } = shown;
  out.say(`${c.bold(`commit ${commit}`)}${tags.length > 0 ? ` (${tags.join(", ")})` : ""}`);
  out.say(`${generation === null ? "not an evolve generation" : `generation ${generation}`}, ${trailers.get(TRAILER.action) ?? "human"}; parent ${parent?.slice(0, 10) ?? "(none: root commit)"}; by ${parsed.author.replace(/ <[^>]*>$/, "")} at ${new Date(parsed.timestamp * 1000).toISOString()}`);
  out.say("");
  out.say(c.bold("Why:"));
  out.say(`    ${subject}`);
  for (const line of body.split("\n")) if (line !== "") out.say(`    ${line}`);
  const recorded = [...trailers].filter(([k]) => k.startsWith("Evolve-") && k !== TRAILER.metrics);
  if (recorded.length > 0 || metrics !== null) {
    out.say("");
    out.say(c.bold("Recorded metrics:"));
    for (const [k, v] of recorded) out.say(`    ${k}: ${v}`);
    if (metrics !== null) out.say(`    ${Object.entries(metrics).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(", ")}`);
  }
  out.say("");
  if (measured !== null) {
    out.say(c.bold(`Measured now${measured.cached ? " (from the evaluation cache)" : ""}:`) + ` score ${measured.parentScore === null ? "" : `${fixed(measured.parentScore)} -> `}${fixed(measured.score)}${measured.delta === null ? "" : ` (${signed(measured.delta)})`}`);
    out.say(`    cases fixed: ${measured.fixed.length > 0 ? c.green(measured.fixed.join(", ")) : "none"}`);
    out.say(`    cases broken: ${measured.broken.length > 0 ? c.red(measured.broken.join(", ")) : "none"}`);
  }
  if (measureProblem !== null) out.say(c.yellow(`    ${measureProblem}`));
  out.say("");
  out.say(c.bold(`Changed: ${diff.files.length} file${diff.files.length === 1 ? "" : "s"}, +${diff.added} -${diff.removed}`));
  for (const line of formatStat(diff.files)) out.say(`    ${line}`);
  if (!stat && diff.patch !== "") {
    out.say("");
    out.say(diff.patch.trimEnd());
  }
}

/** The message without its subject and its trailer block. */
function bodyWithoutTrailers(message: string): string {
  const text = message.replace(/\r\n/g, "\n").trim();
  const paragraphs = text.split(/\n{2,}/).slice(1);
  if (paragraphs.length > 0 && parseTrailers(`x\n\n${paragraphs.at(-1)}`).size > 0) paragraphs.pop();
  return paragraphs.join("\n\n");
}

function numberOr(value: string | undefined): number | null {
  const n = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(n) ? n : null;
}

function parseMetrics(value: string | undefined): Record<string, unknown> | null {
  if (value === undefined) return null;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
