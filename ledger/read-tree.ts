import git from "isomorphic-git";
import type { FileMap } from "../kernel/files.js";
import { errorMessage, EvolveError } from "../kernel/errors.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fs, gitCache, gitdirOf, readRefFile } from "./fs.js";
import { isTree, lookupPath, readCommitTree, readTreeEntries } from "./tree-hash.js";

/** A commit's files in memory. */
export interface CommitFiles {
  readonly commit: string;
  readonly tree: string;
  /** Every regular file whose content is valid UTF-8 without NUL bytes. */
  readonly files: FileMap;
  /**
   * Paths left out of `files` (binary or non-UTF-8 content, symlinks, submodules), sorted. They
   * are never part of a change set, so commits built from `files` keep them exactly as they are.
   */
  readonly skipped: readonly string[];
  /** The symbolic links among `skipped` (never followed: their target text is not read as a file). */
  readonly symlinks: readonly string[];
}

const FILE_MODES = new Set(["100644", "100755", "100664"]);
const SYMLINK_MODE = "120000";
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// Blob id -> text (or null for binary). Blobs are immutable, so caching by id is always valid.
const blobTexts = new Map<string, string | null>();
const MAX_CACHED_BLOBS = 20_000;

/** Read every file of `ref`'s tree into memory (text files only; see CommitFiles.skipped). */
export async function readCommitFiles(dir: string, ref: string): Promise<CommitFiles> {
  const commit = await resolveRef(dir, ref);
  const { tree } = await readCommitTree(dir, commit);
  const blobs: Array<{ path: string; oid: string }> = [];
  const skipped: string[] = [];
  const symlinks: string[] = [];
  await collect(dir, tree, "", blobs, skipped, symlinks);
  const texts = await Promise.all(blobs.map(({ oid }) => readBlobText(dir, oid)));
  const files = new Map<string, string>();
  blobs.forEach(({ path }, i) => {
    const text = texts[i];
    if (text === null || text === undefined) skipped.push(path);
    else files.set(path, text);
  });
  return { commit, tree, files, skipped: skipped.sort(), symlinks: symlinks.sort() };
}

async function collect(
  dir: string,
  tree: string,
  prefix: string,
  blobs: Array<{ path: string; oid: string }>,
  skipped: string[],
  symlinks: string[],
): Promise<void> {
  for (const entry of await readTreeEntries(dir, tree)) {
    const path = prefix + entry.name;
    if (isTree(entry)) await collect(dir, entry.oid, `${path}/`, blobs, skipped, symlinks);
    else if (FILE_MODES.has(entry.mode)) blobs.push({ path, oid: entry.oid });
    else {
      skipped.push(path);
      if (entry.mode === SYMLINK_MODE) symlinks.push(path);
    }
  }
}

/** The text of blob `oid`, or null if it looks binary (cached: blobs are immutable). */
export async function readBlobText(dir: string, oid: string): Promise<string | null> {
  const cached = blobTexts.get(oid);
  if (cached !== undefined) return cached;
  const { blob } = await git.readBlob({ fs, dir, oid, cache: gitCache });
  const text = decodeText(blob);
  if (blobTexts.size >= MAX_CACHED_BLOBS) blobTexts.clear();
  blobTexts.set(oid, text);
  return text;
}

/**
 * One file of a commit's tree, without reading the rest: its text, or undefined when the path is
 * absent (or not a text file). For commands that need only the committed config.
 */
export async function readCommitFile(dir: string, ref: string, path: string): Promise<{ commit: string; text: string | undefined }> {
  const commit = await resolveRef(dir, ref);
  const { tree } = await readCommitTree(dir, commit);
  const entry = await lookupPath(dir, tree, path);
  if (entry === undefined || isTree(entry) || !FILE_MODES.has(entry.mode)) return { commit, text: undefined };
  return { commit, text: (await readBlobText(dir, entry.oid)) ?? undefined };
}

/** UTF-8 text of `bytes`, or null if they look binary (a NUL byte) or are not valid UTF-8. */
export function decodeText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** The oid a full ref name (e.g. `refs/heads/main`, or `HEAD`) holds, following symbolic refs; undefined if absent. */
export async function readRef(dir: string, ref: string): Promise<string | undefined> {
  return readRefFile(await gitdirOf(dir), ref);
}

/** The short name of the branch HEAD points to, or undefined when HEAD is detached. */
export async function headBranch(dir: string): Promise<string | undefined> {
  const text = await readFile(join(await gitdirOf(dir), "HEAD"), "utf8");
  const match = /^ref: refs\/heads\/(.+)$/.exec(text.trim());
  return match?.[1];
}

/** The facts of a revision that names no commit (code `ref-not-found`). */
export interface RefNotFoundData {
  /** The revision as given. */
  ref: string;
  /** Why it names no commit, e.g. "no such branch, tag or commit". */
  reason: string;
  dir: string;
}

/**
 * The commit a revision names: `HEAD`, a branch, a tag (annotated tags are peeled), a full or
 * abbreviated (>= 4 hex digits) commit id, each optionally followed by `~N`, `^`, `^N` or `^{commit}`.
 * Throws EvolveError `ref-not-found` (data: RefNotFoundData) when it names no commit.
 */
export async function resolveRef(dir: string, ref: string): Promise<string> {
  const fail = (reason: string): never => {
    throw new EvolveError<RefNotFoundData>("ref-not-found", `${dir}: cannot resolve revision ${JSON.stringify(ref)}: ${reason}`, { ref, reason, dir });
  };
  const match = /^(.+?)((?:~\d*|\^\d*|\^\{commit\})*)$/.exec(ref);
  if (!match?.[1]) return fail("empty revision");
  const [, name, suffix = ""] = match;
  let oid = await resolveName(dir, name).catch((error: unknown) => fail(reasonOf(error)));
  oid = await peelToCommit(dir, oid).catch((error: unknown) => fail(reasonOf(error)));
  for (const step of suffix.match(/~\d*|\^\{commit\}|\^\d*/g) ?? []) {
    if (step === "^{commit}") continue;
    const count = step.length > 1 ? Number(step.slice(1)) : 1;
    if (step.startsWith("~")) {
      for (let i = 0; i < count; i++) oid = await nthParent(dir, oid, 1, fail);
    } else if (count > 0) {
      oid = await nthParent(dir, oid, count, fail);
    }
  }
  return oid;
}

// A nested ref-not-found already carries the bare reason; anything else is described by its text.
function reasonOf(error: unknown): string {
  return error instanceof EvolveError && typeof error.data["reason"] === "string" ? error.data["reason"] : errorMessage(error);
}

async function nthParent(dir: string, oid: string, n: number, fail: (why: string) => never): Promise<string> {
  const { commit } = await git.readCommit({ fs, dir, oid, cache: gitCache });
  const parent = commit.parent[n - 1];
  return parent ?? fail(`commit ${oid} has no parent number ${n}`);
}

async function resolveName(dir: string, name: string): Promise<string> {
  const viaRef = await git.resolveRef({ fs, dir, ref: name }).catch(() => undefined);
  if (viaRef) return viaRef;
  if (/^[0-9a-f]{4,39}$/i.test(name)) return git.expandOid({ fs, dir, oid: name.toLowerCase(), cache: gitCache });
  throw new Error("no such branch, tag or commit");
}

// Tag object id -> the commit it finally points to (immutable, so cached).
const peeled = new Map<string, string>();

/** Follow annotated tags until a commit; throw if the chain ends at a tree or blob. */
export async function peelToCommit(dir: string, oid: string): Promise<string> {
  const cached = peeled.get(oid);
  if (cached) return cached;
  let current = oid;
  for (let depth = 0; depth < 10; depth++) {
    const { type, object } = await git.readObject({ fs, dir, oid: current, format: "parsed", cache: gitCache });
    if (type === "commit") {
      peeled.set(oid, current);
      return current;
    }
    if (type !== "tag") {
      const reason = `${oid} names a ${type}, not a commit`;
      throw new EvolveError("ref-not-found", reason, { ref: oid, reason });
    }
    current = (object as { object: string }).object;
  }
  throw new EvolveError("ref-not-found", `${oid}: tag chain deeper than 10`, { ref: oid, reason: "tag chain deeper than 10" });
}

/** The short name of the branch HEAD points to; throws on a detached HEAD. */
export async function currentBranch(dir: string): Promise<string> {
  const branch = await headBranch(dir);
  if (!branch) throw new EvolveError("detached-head", `${dir}: HEAD is detached; check out a branch first (git switch main)`, { dir });
  return branch;
}

/** Whether tag `name` exists (lightweight or annotated). */
export async function tagExists(dir: string, name: string): Promise<boolean> {
  return (await readRef(dir, `refs/tags/${name}`)) !== undefined;
}
