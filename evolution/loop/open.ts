/**
 * Stage 1, open: the branch to commit to, a clean work tree, the workspace read from HEAD, the
 * settings (config + flags). Refuses, with nothing changed, what would make the run unsafe.
 */
import { openWorkspace, WorkspaceError } from "../../workspace/open.js";
import type { Workspace } from "../../workspace/open.js";
import { currentBranch, dirtyPaths, repairWorktree } from "../../ledger/index.js";
import { errorMessage } from "../../kernel/errors.js";
import type { RunSettings } from "./state.js";
import type { RunOptions } from "./types.js";

export interface OpenedRun {
  root: string;
  branch: string;
  ws: Workspace;
  settings: RunSettings;
}

export async function openRun(options: RunOptions): Promise<OpenedRun> {
  const root = options.dir;
  const branch = await currentBranch(root).catch((e: unknown) => {
    throw new WorkspaceError(`${root}: ${errorMessage(e)}; evolve run commits to the current branch, so check one out first`);
  });
  // A run killed between moving the branch and writing the files leaves files at the parent's
  // content: bring those forward (anything else someone edited stays, and counts as dirty).
  await repairWorktree(root);
  await refuseDirty(root);
  const ws = await openWorkspace(root);
  const { config, suite } = ws;
  if (config.safety.requireTestSuite && !suite.cases.some((c) => c.split === "train")) {
    throw new WorkspaceError(`${root}: no train cases under golden-tests/ (safety.requireTestSuite is on): evolve has nothing to judge candidates by`);
  }
  const settings: RunSettings = {
    generations: options.generations ?? config.evolution.generations,
    perGeneration: options.candidatesPerGeneration ?? config.evolution.candidatesPerGeneration,
    budget: options.budget ?? config.evolution.budget,
    seed: options.seed ?? config.evolution.seed,
    approveLarge: options.approveLarge === true,
    approve: options.approve,
    proposer: options.proposer ?? "builtin",
  };
  return { root, branch, ws, settings };
}

/** Uncommitted edits would be overwritten by the next generation's files: refuse before any work. */
export async function refuseDirty(root: string): Promise<void> {
  const dirty = await dirtyPaths(root);
  if (dirty.length > 0) {
    throw new WorkspaceError(`${root}: the work tree has uncommitted changes (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", ..." : ""}); commit or stash them first, evolve will not overwrite them`, "dirty-worktree", { dir: root, paths: dirty });
  }
}
