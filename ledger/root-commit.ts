/**
 * What the two ways of making a repository's first commit share (initRepository into an empty
 * folder, commitFirstInPlace around the user's files): a .git native git reads as its own, and the
 * root commit with its annotated tag written as objects before any ref names them, so a killed
 * attempt leaves nothing a ref reaches.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import git from "isomorphic-git";
import type { FileMap } from "../kernel/files.js";
import { fs, writeObjects } from "./fs.js";
import type { InitOptions } from "./init-repo.js";
import { commitObject, formatIdentity, tagObject } from "./objects.js";
import { buildTree } from "./tree-hash.js";

// isomorphic-git's init writes `filemode = false`, `ignorecase = true`, `symlinks = false`,
// which would make native git on Linux ignore the executable bit and fold case.
const CONFIG = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n";

/** `git init` at `dir` with native git's defaults on Linux, not isomorphic-git's. */
export async function createGitDir(dir: string, defaultBranch: string): Promise<void> {
  await git.init({ fs, dir, defaultBranch });
  await fsp.writeFile(join(dir, ".git", "config"), CONFIG);
}

/** The tree of `files`, the parentless commit and its tag, written as objects; no ref is touched. */
export async function writeRootObjects(dir: string, files: FileMap, options: InitOptions): Promise<{ tree: string; commit: string; tag: string }> {
  const built = await buildTree(dir, null, files);
  const identity = formatIdentity(options.author);
  const commit = commitObject(built.tree, [], identity, options.message);
  const tag = tagObject(commit.oid, options.tagName, identity, options.tagMessage);
  await writeObjects(join(dir, ".git"), [...built.objects, commit, tag]);
  return { tree: built.tree, commit: commit.oid, tag: tag.oid };
}
