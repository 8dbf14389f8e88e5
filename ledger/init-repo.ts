import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { EvolveError } from "../kernel/errors.js";
import type { FileMap } from "../kernel/files.js";
import { updateRef } from "./fs.js";
import { checkRefName, type Identity } from "./objects.js";
import { readRef } from "./read-tree.js";
import { createGitDir, writeRootObjects } from "./root-commit.js";
import { syncWorktree } from "./worktree.js";

/** How to record generation 0. */
export interface InitOptions {
  /** Commit message of the root commit (see formatMessage). */
  readonly message: string;
  /** Annotated tag on the root commit, e.g. `gen-0`. */
  readonly tagName: string;
  readonly tagMessage: string;
  /** Branch to create (default `main`). */
  readonly branch?: string;
  /** Author, committer and tagger (default `evolve <evolve@localhost>`, now, +0000). */
  readonly author?: Identity;
}

/**
 * Create a repository at `dir` holding `files` as its only commit on `branch`, tagged, with the
 * work tree and index matching it. Refuses a `dir` that exists and is not empty.
 */
export async function initRepository(dir: string, files: FileMap, options: InitOptions): Promise<{ commit: string; tree: string }> {
  const branch = options.branch ?? "main";
  checkRefName(branch, "initRepository: branch");
  checkRefName(options.tagName, "initRepository: tagName");
  const present = await fsp.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw new EvolveError("storage", `initRepository: ${dir}: ${error.message}`, { path: dir }, { cause: error });
  });
  if (present.length > 0) throw new EvolveError("workspace", `initRepository: ${dir} exists and is not empty`, { dir });
  if (files.size === 0) throw new Error("initRepository: files is empty; generation 0 needs at least one file");

  await fsp.mkdir(dir, { recursive: true });
  await createGitDir(dir, branch);
  const gitdir = join(dir, ".git");

  const written = await writeRootObjects(dir, files, options);
  const tagRef = `refs/tags/${options.tagName}`;
  const branchRef = `refs/heads/${branch}`;
  await updateRef(gitdir, tagRef, written.tag, null, () => readRef(dir, tagRef));
  await updateRef(gitdir, branchRef, written.commit, null, () => readRef(dir, branchRef));
  await syncWorktree(dir, files);
  return { commit: written.commit, tree: written.tree };
}
