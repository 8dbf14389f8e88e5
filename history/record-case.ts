/**
 * `evolve cases record`: call a tool of the committed agent in the sandbox, exactly as a golden run
 * would, and turn what it did into a case appended to a case file, committed as a user commit once
 * confirmed. Planned first (nothing written); the new suite is loaded before anything is written.
 */
import { posix } from "node:path";
import { EvolveError } from "../kernel/errors.js";
import { loadSuite, type GoldenSuite } from "../golden-tests/index.js";
import { appendRecorded, nextCaseId, recordedCase, recordedYaml, type RecordedCase } from "../golden-tests/record.js";
import { currentBranch, formatMessage, type Identity } from "../ledger/index.js";
import { openWorkspace } from "../workspace/open.js";
import { commitCaseFile, refuseDirtyCaseFile, type CaseFilePlan } from "./case-commit.js";
import { withEvaluator } from "./measure-tree.js";

/** Where recorded cases go unless --file says otherwise. */
export const RECORDED_FILE = "golden-tests/recorded.yaml";

export interface RecordOptions {
  /** Workspace-relative case file under golden-tests/ (default RECORDED_FILE). */
  file?: string;
  id?: string;
}

export type RecordPlan = CaseFilePlan<RecordedCase>;

/** Run the call and prepare the case; nothing is written. */
export async function planRecording(root: string, tool: string, args: unknown[], options: RecordOptions = {}): Promise<RecordPlan> {
  const ws = await openWorkspace(root);
  const branch = await currentBranch(root);
  const file = posix.normalize(options.file ?? RECORDED_FILE);
  if (!file.startsWith("golden-tests/") || !/\.ya?ml$/.test(file)) throw new EvolveError("usage", `--file ${options.file}: a case file is a .yaml file under golden-tests/`, { file });
  const taken = new Set([...ws.suite.cases, ...(ws.suite.agentCases ?? [])].map((c) => c.id));
  const id = options.id ?? nextCaseId(tool, taken);
  if (taken.has(id)) throw new EvolveError("usage", `--id ${id}: a case with this id exists already`, { id });
  // The call goes through the evaluator like any golden case (same build, tools and limits).
  const probe = loadSuite(new Map([...ws.files, [file, appendRecorded(file, ws.files.get(file), { id, tool, args, assert: [{ type: "equals", value: null }] })]]));
  const call = probe.cases.find((c) => c.id === id);
  if (call === undefined) throw new EvolveError("internal", `the recorded case ${id} did not load back`, { id });
  const suite: GoldenSuite = { ...probe, cases: [call] };
  const outcome = await withEvaluator({ config: ws.config, suite }, async (evaluator) => {
    const built = await evaluator.build(ws.files);
    if (!built.ok) throw new EvolveError("agent-build", `the committed agent does not build: ${built.reason}`);
    return (await evaluator.run(built.code)).outcomes[0]!;
  });
  const c = recordedCase(id, tool, args, outcome);
  const before = ws.files.get(file);
  const text = appendRecorded(file, before, c);
  loadSuite(new Map([...ws.files, [file, text]]), "golden-tests", { maxCaseTimeoutMs: ws.config.sandbox.maxCaseTimeoutMs });
  await refuseDirtyCaseFile(root, file);
  return { root, branch, parent: ws.commit, file, text, yaml: recordedYaml(c), case: c, created: before === undefined };
}

/** Commit a plan as a user commit (no generation); refused if the branch moved since. */
export async function commitRecording(plan: RecordPlan, author?: Identity): Promise<{ commit: string }> {
  const message = formatMessage(`golden: record case ${plan.case.id} (${plan.case.tool})`, "The tool's observed behaviour, pinned with evolve cases record.", [["Evolve-Recorded-Case", plan.case.id]]);
  return commitCaseFile(plan, message, { doing: "recorded", command: "evolve cases record" }, author);
}
