/** `evolve init DIR [--example NAME]`: a new workspace repository with generation 0 tagged. */
import path from "node:path";
import { initWorkspace, listExamples } from "../../workspace/init.js";
import { c, output } from "../output.js";

export async function initCommand(dir: string | undefined, flags: { example?: string; json?: boolean; list?: boolean }): Promise<void> {
  const out = output(flags.json === true);
  if (flags.list === true) {
    if (out.isJson) out.json({ examples: listExamples() });
    else out.say(listExamples().join("\n"));
    return;
  }
  const r = await initWorkspace(dir ?? ".", { example: flags.example });
  out.say(`Created workspace ${c.bold(path.relative(process.cwd(), r.dir) || ".")}${r.example === null ? "" : ` from the example "${r.example}"`}: generation 0 at ${r.commit.slice(0, 10)} (tag gen-0).`);
  out.say(`Next: cd ${path.relative(process.cwd(), r.dir) || "."} && evolve run`);
  if (out.isJson) out.json({ workspace: r.dir, commit: r.commit, tag: "gen-0", example: r.example });
}
