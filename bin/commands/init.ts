/**
 * `evolve init [DIR] [--here] [--bare] [--example NAME]`: a new workspace repository with generation
 * 0 tagged, or, in a folder that already holds a project, evolve added beside it.
 */
import path from "node:path";
import { initWorkspace, isFreshTarget, listExamples } from "../../workspace/init.js";
import { adoptFolder, type AdoptResult } from "../../workspace/adopt.js";
import type { FoundIdentity } from "../../ledger/index.js";
import { EvolveError } from "../../kernel/errors.js";
import { c, fail, output, type Out } from "../output.js";

export interface InitFlags {
  example?: string;
  json?: boolean;
  list?: boolean;
  here?: boolean;
  bare?: boolean;
}

export async function initCommand(dir: string | undefined, flags: InitFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    if (flags.list === true) {
      if (out.isJson) out.json({ examples: listExamples() });
      else out.say(listExamples().join("\n"));
      return;
    }
    if (flags.here === true && dir !== undefined) throw new EvolveError("usage", "--here means the current folder: give either --here or DIR, not both");
    const where = dir ?? ".";
    if (!(await isFreshTarget(where))) {
      if (flags.example !== undefined) throw new EvolveError("usage", `${path.resolve(where)} is not empty: --example needs a new or empty folder (without --example, evolve init adds evolve to the project there)`, { dir: path.resolve(where) });
      reportAdopted(out, await adoptFolder(where, { bare: flags.bare === true }));
      return;
    }
    const r = await initWorkspace(where, { example: flags.example, bare: flags.bare === true });
    const shown = path.relative(process.cwd(), r.dir) || ".";
    out.say(`Created workspace ${c.bold(shown)}${r.example === null ? "" : ` from the example "${r.example}"`}: generation 0 at ${r.commit.slice(0, 10)} (tag gen-0).`);
    out.say(identityLine(r.identity));
    out.say(`Next: cd ${shown} && evolve run`);
    if (out.isJson) out.json({ workspace: r.dir, commit: r.commit, tag: "gen-0", example: r.example, author: r.identity?.identity ?? null });
  } catch (e) {
    fail(e);
  }
}

function identityLine(found: FoundIdentity | null): string {
  if (found === null) return "Committed as evolve <evolve@localhost>: no git identity is configured (set one with git config --global user.name / user.email).";
  return `Committed as ${found.identity.name} <${found.identity.email}> (from ${found.source}).`;
}

function reportAdopted(out: Out, r: AdoptResult): void {
  const shown = path.relative(process.cwd(), r.root) || ".";
  if (r.finished) {
    out.say(`Finished an interrupted evolve init in ${c.bold(shown)}: wrote ${r.added.join(", ")}.`);
  } else {
    out.say(`Added evolve to ${c.bold(shown)}${r.sub ? ` (the repository around ${r.sub}/)` : ""}: generation 0 at ${r.commit.slice(0, 10)} (tag ${r.tag}); added ${r.added.join(", ")}; no existing file changed.`);
    out.say(identityLine(r.identity));
    out.say(r.tools.length === 0 ? "No tool modules found: list them under evolvable and sandbox.tools in evolve.config.yaml." : "Evolvable tool modules (evolve.config.yaml, evolvable and sandbox.tools):");
    for (const t of r.tools) out.say(`  ${t.file}: ${t.exports.join(", ")}`);
    for (const s of r.skipped) out.say(`  skipped ${s.file}: ${s.reason}`);
    if (r.left.length > 0) out.say(`Not committed (left on disk, untracked): ${r.left.join("; ")}`);
    out.say("Next: pin what the tools do now with `evolve cases record TOOL ARGS...`, then `evolve run`.");
  }
  if (out.isJson) {
    out.json({ workspace: r.root, sub: r.sub, commit: r.commit, tag: r.tag, finished: r.finished, added: r.added, author: r.identity?.identity ?? null, tools: r.tools, skipped: r.skipped, left: r.left });
  }
}
