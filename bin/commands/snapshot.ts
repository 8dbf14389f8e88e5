/**
 * `evolve snapshot [--budget N] [--target DIR]`: the self-snapshot a model sees (exported symbols,
 * prompts, params; see snapshots/snapshot.ts), printed and written to `<workspace>/snapshots/<commit>.md`.
 * Snapshots are derived from a commit and can be rebuilt at any time, so they are not committed:
 * the command lists `/snapshots/` in the repository's `.git/info/exclude` (local, nothing in the tree
 * changes). `--target DIR` snapshots another TypeScript project instead.
 */
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isEvolvable, parseConfig } from "../../workspace/config.js";
import { CONFIG_FILE, findWorkspaceRoot, WorkspaceError } from "../../workspace/open.js";
import { readCommitFiles } from "../../ledger/index.js";
import { readTypeScriptProject } from "../../snapshots/read-dir.js";
import { buildSnapshot, type Snapshot } from "../../snapshots/snapshot.js";
import { output } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface SnapshotFlags {
  workspace?: string;
  budget?: number;
  target?: string;
  json?: boolean;
}

/** Default token budget: fits beside a task in an 8k context. */
export const DEFAULT_SNAPSHOT_BUDGET = 4000;

/** Make git ignore `<root>/snapshots/` without touching the tree. */
function ignoreSnapshots(root: string): void {
  const exclude = path.join(root, ".git", "info", "exclude");
  if (!existsSync(path.join(root, ".git"))) return;
  const text = existsSync(exclude) ? readFileSync(exclude, "utf8") : "";
  if (text.split("\n").some((l) => l.trim() === "/snapshots/")) return;
  mkdirSync(path.dirname(exclude), { recursive: true });
  appendFileSync(exclude, `${text.length > 0 && !text.endsWith("\n") ? "\n" : ""}# evolve snapshots are rebuilt from commits\n/snapshots/\n`);
}

function write(root: string, name: string, text: string): string {
  const dir = path.join(root, "snapshots");
  mkdirSync(dir, { recursive: true });
  ignoreSnapshots(root);
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export async function snapshotCommand(flags: SnapshotFlags): Promise<void> {
  const out = output(flags.json === true);
  const budget = flags.budget ?? DEFAULT_SNAPSHOT_BUDGET;
  let snapshot: Snapshot;
  let file: string | null = null;
  let extra: Record<string, unknown>;
  if (flags.target !== undefined) {
    const target = path.resolve(flags.target);
    if (!existsSync(target) || !statSync(target).isDirectory()) throw new WorkspaceError(`--target: ${target} is not a directory`, "usage", { flag: "--target", value: target });
    const files = readTypeScriptProject(target);
    if (files.size === 0) throw new WorkspaceError(`--target: ${target} has no TypeScript files (node_modules, dist and build are skipped)`, "usage", { flag: "--target", value: target });
    snapshot = buildSnapshot(files, { evolvable: () => true, tokenBudget: budget, label: `project ${path.basename(target)}` });
    const hash = createHash("sha256");
    for (const [p, t] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(`${p}\0${t}\0`);
    const ws = findWorkspaceRoot(flags.workspace ?? process.cwd());
    if (ws !== null) file = write(ws, `target-${path.basename(target)}-${hash.digest("hex").slice(0, 12)}.md`, snapshot.text);
    else out.say(`(not written: no workspace here to hold snapshots/; pass --workspace DIR)`);
    extra = { target, files: files.size };
  } else {
    const root = workspaceFromFlag(flags.workspace);
    const { commit, files } = await readCommitFiles(root, "HEAD");
    const configText = files.get(CONFIG_FILE);
    if (configText === undefined) throw new WorkspaceError(`${root}: ${CONFIG_FILE} is not committed at HEAD`, "workspace", { dir: root, ref: "HEAD", file: CONFIG_FILE });
    const config = parseConfig(configText, CONFIG_FILE);
    snapshot = buildSnapshot(files, { evolvable: (p) => isEvolvable(config, p), tokenBudget: budget, label: `workspace ${config.agent.name} @ ${commit.slice(0, 10)}` });
    file = write(root, `${commit}.md`, snapshot.text);
    extra = { workspace: root, commit };
  }
  if (out.isJson) {
    out.json({ ...extra, file, budget: snapshot.budget, tokens: snapshot.tokens, included: snapshot.included, dropped: snapshot.dropped, text: snapshot.text });
  } else {
    out.write(snapshot.text);
    out.warn(`${snapshot.tokens} of ${snapshot.budget} tokens (chars/4)${file ? `; written to ${file}` : ""}`);
  }
}
