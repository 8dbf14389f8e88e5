/**
 * `evolve doctor`: checks the model the workspace configures (or the flags name) and says exactly
 * what is wrong: a missing GGUF file, a server that is down, a model that is not pulled. Exit 0 when
 * it can generate, 1 when not. The config is read from the work tree, so an edit can be checked
 * before it is committed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseConfig, DEFAULT_CONFIG } from "../../workspace/config.js";
import { doctor } from "../../agent/llm/doctor.js";
import { resolveSettings, type ModelSection } from "../../agent/llm/select.js";
import { CONFIG_FILE, findWorkspaceRoot } from "../../workspace/open.js";
import { c, output, EXIT, setExitCode } from "../output.js";
import { providerFlags, type AgentFlags } from "./ask.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface DoctorFlags extends Omit<AgentFlags, "maxSteps"> {
  json?: boolean;
}

export async function doctorCommand(flags: DoctorFlags): Promise<void> {
  const out = output(flags.json === true);
  // Without --workspace, a workspace around the current folder is used when there is one; the
  // flags alone are enough to check a model.
  const root = flags.workspace !== undefined ? workspaceFromFlag(flags.workspace) : findWorkspaceRoot(process.cwd());
  let model: ModelSection = DEFAULT_CONFIG.model;
  const lines: string[] = [];
  if (root !== null) {
    const file = path.join(root, CONFIG_FILE);
    model = parseConfig(readFileSync(file, "utf8"), CONFIG_FILE).model as ModelSection;
    lines.push(`config: ${file}`);
  } else lines.push("config: no workspace here; using the flags only");
  const settings = resolveSettings(model, providerFlags(flags), { ...(root !== null ? { workspace: root } : {}), cwd: process.cwd() });
  const report = await doctor(settings);
  lines.push(...report.lines);
  for (const l of lines) out.say(l.startsWith("problem:") ? `${c.red("problem:")}${l.slice("problem:".length)}` : l.startsWith("ok:") ? `${c.green("ok:")}${l.slice(3)}` : l);
  if (out.isJson) out.json({ ok: report.ok, settings, lines });
  setExitCode(report.ok ? EXIT.ok : EXIT.failed);
}
