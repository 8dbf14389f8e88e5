import type * as nodeFs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { promises as fsp } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";
import { basename, dirname, join } from "node:path";
import { EvolveError, storageFault } from "../kernel/errors.js";

/**
 * The file system client handed to isomorphic-git: node's promise API with two changes.
 * - isomorphic-git wraps the client on every call and probes it by calling `readFile()` with no
 *   arguments; node answers with a TypeError whose stack trace costs ~0.7 ms, so the probe gets
 *   a cheap answer.
 * - isomorphic-git writes files (the index above all) in place; killed mid-write, that leaves a
 *   truncated index native git refuses to read. Here every write goes to a temporary file next
 *   to the target and is renamed over it, so a reader sees the old content or the new.
 */
export const fs = {
  readFile: (...args: unknown[]) =>
    args.length === 0 ? Promise.resolve(null) : fsp.readFile(...(args as Parameters<typeof fsp.readFile>)),
  writeFile: (path: string, data: string | Uint8Array, options?: nodeFs.WriteFileOptions) =>
    atomicWrite(path, data, options),
  mkdir: fsp.mkdir,
  rmdir: fsp.rmdir,
  rm: fsp.rm,
  unlink: fsp.unlink,
  stat: fsp.stat,
  lstat: fsp.lstat,
  readdir: fsp.readdir,
  readlink: fsp.readlink,
  symlink: fsp.symlink,
  chmod: fsp.chmod,
};

/**
 * isomorphic-git's cache object (packfile indexes, parsed index file). Every entry in it is
 * either keyed by an immutable pack file name or re-validated by stat, so one object can be
 * shared by all calls for all repositories of this process.
 */
export const gitCache: object = {};

/** Write `data` to a temporary file beside `path`, then rename it over `path`. */
export async function atomicWrite(path: string, data: string | Uint8Array, options?: nodeFs.WriteFileOptions): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  await fsp.writeFile(temp, data, options);
  try {
    await fsp.rename(temp, path);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    throw error;
  }
}

/**
 * Replace work-tree file `path` whole: written under `<gitdir>/evolve/` (no litter in the work
 * tree if killed), keeping an existing file's permission bits, then renamed into place. Falls
 * back to a plain write when the git directory is on another file system.
 */
export async function replaceWorkFile(gitdir: string, path: string, data: string | Uint8Array): Promise<void> {
  const mode = await fsp.stat(path).then((s) => s.mode & 0o777, () => undefined);
  const scratch = join(gitdir, "evolve");
  await fsp.mkdir(scratch, { recursive: true });
  const temp = join(scratch, `write-${randomBytes(6).toString("hex")}.tmp`);
  await fsp.writeFile(temp, data);
  try {
    if (mode !== undefined) await fsp.chmod(temp, mode);
    await fsp.rename(temp, path);
  } catch (error) {
    await fsp.rm(temp, { force: true });
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await fsp.writeFile(path, data);
  }
}

/** Git object types this ledger writes. */
export type ObjectType = "blob" | "tree" | "commit" | "tag";

/** An object ready to be written: its id and its content (without the `type size\0` header). */
export interface GitObject {
  readonly type: ObjectType;
  readonly oid: string;
  readonly content: Buffer;
}

/** The id git gives `content` as an object of `type`: sha1 of `type size\0content`. */
export function hashObject(type: ObjectType, content: Buffer): string {
  return createHash("sha1").update(`${type} ${content.length}\0`).update(content).digest("hex");
}

/** Build a GitObject from its content. */
export function makeObject(type: ObjectType, content: Buffer): GitObject {
  return { type, oid: hashObject(type, content), content };
}

/** The git directory of a work tree: `.git`, or where a `.git` file (`gitdir: ...`) points. */
export async function gitdirOf(dir: string): Promise<string> {
  const dotgit = join(dir, ".git");
  const stat = await fsp.stat(dotgit).catch(() => undefined);
  if (stat === undefined) throw new EvolveError("not-a-workspace", `${dir}: not a git work tree (no .git)`, { dir });
  if (stat.isDirectory()) return dotgit;
  const text = await fsp.readFile(dotgit, "utf8");
  const match = /^gitdir: (.+)$/m.exec(text);
  if (!match?.[1]) throw new EvolveError("storage", `${dotgit}: line 1: expected "gitdir: <path>"`, { path: dotgit });
  return join(dir, match[1].trim());
}

/**
 * Write loose objects the way native git does: into a temporary file in the objects directory,
 * then renamed into place. isomorphic-git writes the final path directly, and since it never
 * rewrites an existing object, a write torn by SIGKILL would stay corrupt forever; a rename
 * cannot be torn. Objects already present (loose) are skipped.
 */
export async function writeObjects(gitdir: string, objects: Iterable<GitObject>): Promise<number> {
  const results = await Promise.all([...objects].map((object) => writeLoose(gitdir, object)));
  return results.filter(Boolean).length;
}

async function writeLoose(gitdir: string, object: GitObject): Promise<boolean> {
  const path = join(gitdir, "objects", object.oid.slice(0, 2), object.oid.slice(2));
  if (await exists(path)) return false;
  const header = Buffer.from(`${object.type} ${object.content.length}\0`);
  const deflated = deflateSync(Buffer.concat([header, object.content]), { level: 1 });
  const temp = join(gitdir, "objects", `tmp_obj_${randomBytes(6).toString("hex")}`);
  try {
    await fsp.writeFile(temp, deflated, { mode: 0o444 });
    await renameInto(temp, path);
  } catch (error) {
    // A full disk fails the write after the temporary file exists; it must not stay behind, and the
    // message names the object rather than that file (or, for a failed write, no file at all).
    await fsp.rm(temp, { force: true });
    throw storageFault(join(gitdir, "objects"), `write ${object.type} ${object.oid}`, error);
  }
  return true;
}

async function renameInto(temp: string, path: string): Promise<void> {
  try {
    await fsp.rename(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await fsp.mkdir(dirname(path), { recursive: true });
    await fsp.rename(temp, path);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Point `ref` (a full name such as `refs/heads/main`) at `oid`, the native way: create
 * `<ref>.lock` exclusively, check the current value, write, rename over the ref. A SIGKILL leaves
 * either the old value or the new one (plus at worst a stale lock file, reported by name).
 * `expect`: the oid the ref must hold now, `null` if it must not exist, `undefined` for any value.
 * `readCurrent` reads the present value (loose or packed), `undefined` if absent.
 */
export async function updateRef(
  gitdir: string,
  ref: string,
  oid: string,
  expect: string | null | undefined,
  readCurrent: () => Promise<string | undefined>,
): Promise<void> {
  const path = join(gitdir, ref);
  const lock = `${path}.lock`;
  await fsp.mkdir(dirname(path), { recursive: true });
  let handle: FileHandle;
  try {
    handle = await fsp.open(lock, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new EvolveError(
        "ref-locked",
        `${ref}: locked by another process (${lock} exists; remove it if no git process is running)`,
        { ref, lockFile: lock },
      );
    }
    throw error;
  }
  let renamed = false;
  try {
    const current = await readCurrent();
    if (expect !== undefined && (current ?? null) !== expect) {
      const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
      throw new EvolveError(
        "branch-moved",
        `${ref}: expected ${expect ?? "no ref"} but found ${current ?? "no ref"}; someone moved it`,
        { ref, ...(branch === undefined ? {} : { branch }), expected: expect, actual: current ?? null },
      );
    }
    try {
      await handle.writeFile(`${oid}\n`);
      await handle.close();
      await fsp.rename(lock, path);
    } catch (error) {
      // Node's error for a failed write (a full disk) names no file: say which ref was being moved.
      throw storageFault(path, "update the ref", error);
    }
    renamed = true;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await fsp.rm(lock, { force: true });
    }
  }
}

/**
 * The oid `ref` (a full name, or `HEAD`) holds, following symbolic refs, from the loose ref file
 * or `packed-refs`; undefined if it does not exist. Read directly rather than through
 * isomorphic-git, which probes a dozen candidate names per lookup.
 */
export async function readRefFile(gitdir: string, ref: string): Promise<string | undefined> {
  for (let depth = 0; depth < 5; depth++) {
    const text = await fsp.readFile(join(gitdir, ref), "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR" || error.code === "EISDIR") return undefined;
      throw error;
    });
    if (text === undefined) return readPackedRef(gitdir, ref);
    const value = text.trim();
    if (!value.startsWith("ref: ")) {
      if (!/^[0-9a-f]{40}$/.test(value)) {
        throw new EvolveError("storage", `${join(gitdir, ref)}: line 1: expected an object id, got ${JSON.stringify(value)}`, { path: join(gitdir, ref) });
      }
      return value;
    }
    ref = value.slice(5).trim();
  }
  throw new EvolveError("storage", `${join(gitdir, ref)}: symbolic refs nested too deep`, { path: join(gitdir, ref) });
}

async function readPackedRef(gitdir: string, ref: string): Promise<string | undefined> {
  const text = await fsp.readFile(join(gitdir, "packed-refs"), "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    if (line.endsWith(` ${ref}`) && /^[0-9a-f]{40} /.test(line)) return line.slice(0, 40);
  }
  return undefined;
}

/**
 * Remove what a killed writer leaves in the git directory: ref lock files (`refs/**.lock`,
 * which would block every later update of that ref, as with native git) and unfinished
 * temporary files of atomicWrite, writeObjects, replaceWorkFile and the workspace lock. Only safe
 * while no other process writes to the repository (hold the workspace lock). Returns the removed paths, relative to the git directory.
 */
export async function clearLeftovers(gitdir: string): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (relative: string, recurse: boolean, match: (name: string) => boolean): Promise<void> => {
    const entries = await fsp.readdir(join(gitdir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (recurse) await sweep(path, recurse, match);
      } else if (match(entry.name)) {
        await fsp.rm(join(gitdir, path), { force: true });
        removed.push(path);
      }
    }
  };
  const isTemp = (name: string): boolean => name.startsWith(".") && name.endsWith(".tmp");
  await sweep("refs", true, (name) => name.endsWith(".lock"));
  await sweep("", false, isTemp);
  await sweep("evolve", false, (name) => (name.startsWith("write-") || name.startsWith("lock")) && name.endsWith(".tmp"));
  await sweep("objects", true, (name) => isTemp(name) || name.startsWith("tmp_obj_"));
  return removed.sort();
}
