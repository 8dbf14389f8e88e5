/**
 * `evolve init DIR`: a new workspace is a new git repository whose first commit is generation 0, tagged
 * `gen-0`, so that every later generation has a known-good ancestor to diff, bisect and reset to.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { FileMap } from "../kernel/files.js";
import { packageRoot } from "../kernel/package-root.js";
import { renderDefaultConfig } from "./config.js";
import { WorkspaceError, CONFIG_FILE } from "./open.js";
import { commitFirstInPlace, DEFAULT_IDENTITY, formatMessage, readRef, userIdentity, type FoundIdentity } from "../ledger/index.js";
import { sampleFiles } from "./adopt-files.js";
import { TRAILER } from "../ledger/record.js";

export function examplesDir(): string {
  return path.join(packageRoot(), "examples");
}

export function listExamples(): string[] {
  const dir = examplesDir();
  return readdirSync(dir).filter((name) => existsSync(path.join(dir, name, CONFIG_FILE))).sort();
}

/** Every file of a bundled example, read into memory. */
export function exampleFiles(name: string): FileMap {
  const known = listExamples();
  if (!known.includes(name)) throw new WorkspaceError(`no bundled example named "${name}" (bundled: ${known.join(", ")})`, "not-found", { what: "example", id: name });
  const root = path.join(examplesDir(), name);
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(root, full).split(path.sep).join("/"), readFileSync(full, "utf8"));
    }
  };
  walk(root);
  return files;
}

/** The files of an empty workspace: the default config, a prompt, params, and the sample tool and case (bare: an empty case file instead). */
export function scaffoldFiles(agentName: string, bare = false): FileMap {
  return new Map([
    [CONFIG_FILE, renderDefaultConfig(agentName)],
    ["agent/prompts/system.md", `You are ${agentName}, a helpful local agent. Use your tools when they can answer.\n`],
    ["agent/params.json", `{\n  "temperature": 0\n}\n`],
    ...sampleFiles(bare),
    [".gitignore", "node_modules/\n"],
  ]);
}

export interface InitResult {
  dir: string;
  commit: string;
  example: string | null;
  /** Whose name is on the commit; null when none was configured and evolve's own was used. */
  identity: FoundIdentity | null;
}

/**
 * True when `dir` can take a new workspace: absent, empty, or holding only a repository without
 * commits (what a killed `evolve init` leaves; the rerun finishes it). Anything else is an existing
 * project, for adoptFolder.
 */
export async function isFreshTarget(dir: string): Promise<boolean> {
  const target = path.resolve(dir);
  if (!existsSync(target)) return true;
  const entries = readdirSync(target);
  if (entries.length === 0) return true;
  return entries.length === 1 && entries[0] === ".git" && (await readRef(target, "HEAD")) === undefined;
}

/**
 * A new workspace at `dir` (see isFreshTarget; anything else is refused): generation 0 from the
 * empty scaffold or a bundled example, tagged gen-0, authored by the user's git identity when one is
 * configured. Killed at any point, a rerun finishes it (see commitFirstInPlace).
 */
export async function initWorkspace(dir: string, options: { example?: string; bare?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<InitResult> {
  const target = path.resolve(dir);
  if (!(await isFreshTarget(target))) {
    throw new WorkspaceError(`${target} exists and is not empty: a bundled example needs a new folder (evolve init DIR without --example adds evolve to an existing project)`, "workspace", { dir: target });
  }
  const example = options.example ?? null;
  const files = example === null ? scaffoldFiles(path.basename(target), options.bare === true) : exampleFiles(example);
  const origin = example === null ? "an empty workspace" : `the bundled example "${example}"`;
  const message = formatMessage(
    `evolve: gen 0: initial agent from ${origin}`,
    "Generation 0: the starting point every later generation descends from.",
    [
      [TRAILER.generation, "0"],
      [TRAILER.action, "init"],
    ],
  );
  const found = await userIdentity(target, options.env);
  mkdirSync(target, { recursive: true });
  const { commit } = await commitFirstInPlace(target, new Map(), files, {
    message,
    tagName: "gen-0",
    tagMessage: "evolve generation 0: initial agent\n",
    author: found?.identity ?? DEFAULT_IDENTITY,
  });
  return { dir: target, commit, example, identity: found };
}
