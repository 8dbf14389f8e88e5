/**
 * `evolve cases record TOOL [ARGS...]`: run a tool of the committed agent in the sandbox and pin what
 * it did as a golden case: shown, then committed (a user commit) once confirmed or with --yes.
 * Each ARG is read as JSON when it parses (`3`, `[1,2]`, `{"a":1}`, `"x"`), else taken as a string.
 */
import { commitRecording, planRecording } from "../../history/record-case.js";
import { userIdentity } from "../../ledger/index.js";
import { c, fail, output } from "../output.js";
import { confirmCase } from "./confirm-case.js";
import { lockedCommand, type LockFlags } from "./lock.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface RecordFlags extends LockFlags {
  workspace?: string;
  file?: string;
  id?: string;
  yes?: boolean;
  json?: boolean;
}

/** A command-line argument as a tool argument: JSON when it parses, else the text itself. */
export function parseArg(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function recordCommand(tool: string, args: string[], flags: RecordFlags): Promise<void> {
  await lockedCommand("evolve cases record", flags, () => recordUnlocked(tool, args, flags));
}

async function recordUnlocked(tool: string, args: string[], flags: RecordFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const root = workspaceFromFlag(flags.workspace);
    const plan = await planRecording(root, tool, args.map(parseArg), {
      ...(flags.file !== undefined ? { file: flags.file } : {}),
      ...(flags.id !== undefined ? { id: flags.id } : {}),
    });
    if (!(await confirmCase(out, plan, flags.yes, { command: "evolve cases record", declined: { committed: false, case: plan.case } }))) return;
    const found = await userIdentity(root);
    const { commit } = await commitRecording(plan, found?.identity);
    out.say(`${c.green("committed")} case ${c.bold(plan.case.id)} as ${commit.slice(0, 10)} on ${plan.branch}`);
    if (out.isJson) out.json({ committed: true, commit, file: plan.file, case: plan.case });
  } catch (e) {
    fail(e);
  }
}
