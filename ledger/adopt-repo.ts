/**
 * The first commit of a folder that already holds the user's files: a folder that is not yet a
 * repository, or a repository without commits (including one a killed `evolve init` left behind).
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import git from "isomorphic-git";
import { EvolveError } from "../kernel/errors.js";
import type { FileMap } from "../kernel/files.js";
import { clearLeftovers, fs, gitCache, updateRef } from "./fs.js";
import type { InitOptions } from "./init-repo.js";
import { checkRefName } from "./objects.js";
import { decodeText, headBranch, readRef } from "./read-tree.js";
import { createGitDir, writeRootObjects } from "./root-commit.js";
import { syncWorktree } from "./worktree.js";

/**
 * Commit `existing` (files already on disk, unchanged) plus `added` (written here) as the root
 * commit of `dir`, tagged. Makes the repository if there is none; an existing one must have no
 * commit on its current branch. Existing files are staged, never rewritten.
 *
 * Crash safety: objects, then the tag ref, then the branch ref, then the new files. Killed before
 * the branch ref, the repository still has no commit and a rerun starts again; killed after it,
 * repairWorktree finishes the files.
 */
export async function commitFirstInPlace(dir: string, existing: FileMap, added: FileMap, options: InitOptions): Promise<{ commit: string; tree: string; branch: string }> {
  const gitdir = join(dir, ".git");
  const hasRepo = await fsp.stat(gitdir).then(() => true, () => false);
  if (!hasRepo) await createGitDir(dir, options.branch ?? "main");
  const branch = (await headBranch(dir)) ?? options.branch ?? "main";
  checkRefName(branch, "commitFirstInPlace: branch");
  checkRefName(options.tagName, "commitFirstInPlace: tagName");
  const branchRef = `refs/heads/${branch}`;
  if ((await readRef(dir, branchRef)) !== undefined) throw new EvolveError("internal", `commitFirstInPlace: ${dir}: branch ${branch} already has commits`, { dir, branch });
  // Ref locks a killed attempt left would refuse every ref write below.
  if (hasRepo) await clearLeftovers(gitdir);
  const files = new Map([...existing, ...added]);
  const written = await writeRootObjects(dir, files, options);
  const tagRef = `refs/tags/${options.tagName}`;
  // A tag left by a killed attempt names a commit no branch reached: overwrite it.
  await updateRef(gitdir, tagRef, written.tag, undefined, () => readRef(dir, tagRef));
  await updateRef(gitdir, branchRef, written.commit, null, () => readRef(dir, branchRef));
  await syncWorktree(dir, added);
  const untouched = [...existing.keys()].filter((p) => !added.has(p));
  if (untouched.length > 0) await git.add({ fs, dir, filepath: untouched, force: true, cache: gitCache });
  return { commit: written.commit, tree: written.tree, branch };
}

/** What scanFolder found: text files to commit, and what it leaves out (with why). */
export interface FolderScan {
  readonly files: FileMap;
  /** "path: why" for each file left out of the commit (binary, executable, too large, too many). */
  readonly left: readonly string[];
}

const MAX_SCAN_FILES = 5_000;
const MAX_SCAN_BYTES = 1_000_000;

/**
 * The files of a folder a first commit would take, as `git add .` would see them: .gitignore
 * respected, `.git` and `node_modules` skipped. Only regular, non-executable, UTF-8 text files are
 * taken (evolve records text): the rest stay on disk, untracked, and are listed in `left`.
 */
export async function scanFolder(dir: string): Promise<FolderScan> {
  const files = new Map<string, string>();
  const left: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await fsp.readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.name === ".git" || entry.name === "node_modules") continue;
      if (await git.isIgnored({ fs, dir, filepath: path })) continue;
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      if (!entry.isFile()) {
        left.push(`${path}: not a regular file`);
        continue;
      }
      const stat = await fsp.stat(join(dir, path));
      if (stat.mode & 0o111) left.push(`${path}: executable`);
      else if (stat.size > MAX_SCAN_BYTES) left.push(`${path}: larger than ${MAX_SCAN_BYTES} bytes`);
      else if (files.size >= MAX_SCAN_FILES) left.push(`${path}: more than ${MAX_SCAN_FILES} files`);
      else {
        const text = decodeText(await fsp.readFile(join(dir, path)));
        if (text === null) left.push(`${path}: binary`);
        else files.set(path, text);
      }
    }
  };
  await walk("");
  return { files, left };
}
