/**
 * Every tag ref and the commit it leads to, read the way native git stores them: packed-refs
 * (whose `^` lines give the peeled commit) overridden by loose files under refs/tags/.
 *
 * A history of 10,000 generations has 10,000 loose tag files, and reading them is most of a log's
 * time. So the result is cached in `.git/evolve/tag-refs.json`, trusted only while packed-refs and
 * every directory under refs/tags/ keep the size, inode and modification time they had when it was
 * written. Git (and evolve) write a ref by renaming a lock file into its directory, which changes
 * the directory's modification time. A cache written less than two seconds after such a change is
 * not trusted (a write in the same clock tick would not show), the "racy" rule git uses for its index.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";

/** A tag ref: the object it names, and the commit that object leads to when known. */
export interface TagRef {
  readonly oid: string;
  peeled?: string;
}

/** Where the cache lives, relative to the git directory. */
export const TAG_REFS_CACHE_PATH = "evolve/tag-refs.json";
const CACHE_VERSION = 1;
/** Nanoseconds a cache must be younger than the newest change it saw, to be trusted. */
const RACY_NS = 2_000_000_000n;

interface Cache {
  version: number;
  /** Path relative to the git directory -> `ino:size:mtimeNs` (or "-" when absent). */
  stamps: Record<string, string>;
  writtenNs: string;
  tags: Record<string, TagRef>;
}

function stamp(path: string): { text: string; mtimeNs: bigint } {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s === undefined ? { text: "-", mtimeNs: 0n } : { text: `${s.ino}:${s.size}:${s.mtimeNs}`, mtimeNs: s.mtimeNs };
}

/**
 * Tag name -> ref. `peel(oid)` is asked for the commit of each annotated tag that packed-refs does
 * not already peel; it may return undefined (a tag of a tree or blob, or a missing object).
 */
export function readTagRefs(gitdir: string, peel: (oid: string) => string | undefined): Map<string, TagRef> {
  const cachePath = join(gitdir, TAG_REFS_CACHE_PATH);
  const cached = readCache(cachePath);
  if (cached !== undefined && stillValid(gitdir, cached)) return new Map(Object.entries(cached.tags));
  const stamps: Record<string, string> = {};
  let newest = 0n;
  const note = (rel: string): void => {
    const s = stamp(join(gitdir, rel));
    stamps[rel] = s.text;
    if (s.mtimeNs > newest) newest = s.mtimeNs;
  };
  note("packed-refs");
  const tags = readPacked(gitdir);
  const walk = (sub: string): void => {
    const rel = sub === "" ? "refs/tags" : `refs/tags/${sub}`;
    note(rel);
    let entries;
    try {
      entries = readdirSync(join(gitdir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const name = sub === "" ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(name);
      // Lock files and temporary files are writes in progress, not tags (native git agrees).
      else if (!name.endsWith(".lock") && !entry.name.startsWith(".")) {
        const oid = readText(join(gitdir, "refs", "tags", name)).trim();
        if (/^[0-9a-f]{40}$/.test(oid)) tags.set(name, { oid });
      }
    }
  };
  walk("");
  for (const ref of tags.values()) if (ref.peeled === undefined) ref.peeled = peel(ref.oid);
  const now = BigInt(Date.now()) * 1_000_000n;
  if (now - newest > RACY_NS) writeCache(cachePath, { version: CACHE_VERSION, stamps, writtenNs: String(now), tags: Object.fromEntries(tags) });
  return tags;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function readPacked(gitdir: string): Map<string, TagRef> {
  const out = new Map<string, TagRef>();
  let last: TagRef | undefined;
  for (const line of readText(join(gitdir, "packed-refs")).split("\n")) {
    if (line.startsWith("^")) {
      if (last !== undefined) last.peeled = line.slice(1).trim();
      continue;
    }
    const [oid, ref] = line.split(" ");
    last = undefined;
    if (oid === undefined || ref === undefined || !ref.startsWith("refs/tags/") || !/^[0-9a-f]{40}$/.test(oid)) continue;
    last = { oid };
    out.set(ref.slice("refs/tags/".length), last);
  }
  return out;
}

function readCache(path: string): Cache | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Cache;
    return value.version === CACHE_VERSION && typeof value.stamps === "object" && typeof value.tags === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

function stillValid(gitdir: string, cache: Cache): boolean {
  const written = BigInt(cache.writtenNs);
  for (const [rel, text] of Object.entries(cache.stamps)) {
    const now = stamp(join(gitdir, rel));
    if (now.text !== text || written - now.mtimeNs <= RACY_NS) return false;
  }
  return true;
}

function writeCache(path: string, cache: Cache): void {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temp, JSON.stringify(cache));
    renameSync(temp, path);
  } catch {
    // A cache: a read-only disk costs speed, never an answer.
  } finally {
    rmSync(temp, { force: true });
  }
}
