/**
 * A golden case that names a tool no module exports can never pass, whatever evolution does: it is
 * a mistake in the suite (a typo, a renamed export), so measuring a commit's own tree refuses it,
 * naming the case's file and line, instead of scoring it 0 without a word. A candidate that drops
 * an export is different: its cases just fail (the evaluator's outcomes say "missing-tool").
 */
import { EvolveError } from "../kernel/errors.js";
import type { CaseOutcome } from "../sandbox/pool.js";
import type { GoldenSuite } from "./schema.js";

/** The refusal (`input-file`, exit 2) for the first case whose tool is missing, or null when every tool exists. */
export function missingToolRefusal(suite: GoldenSuite, outcomes: readonly CaseOutcome[]): EvolveError | null {
  const missing = outcomes.find((o) => !o.ok && o.kind === "missing-tool");
  if (missing === undefined) return null;
  const c = suite.cases.find((x) => x.id === missing.id);
  if (c === undefined) return null;
  const others = outcomes.filter((o) => !o.ok && o.kind === "missing-tool").length - 1;
  return new EvolveError(
    "input-file",
    `${c.file}:${c.line}: case "${c.id}": tool ${JSON.stringify(c.tool)} is not exported by any tool module${others > 0 ? ` (and ${others} more case${others === 1 ? "" : "s"} like it)` : ""}; fix the case or export the tool`,
    { file: c.file, line: c.line, column: 1, field: "tool", case: c.id, tool: c.tool },
  );
}
