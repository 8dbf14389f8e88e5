/**
 * The generation index: `.git/evolve/generation-index`, a cache of the commit and tag objects the
 * history readers use (log, show, bisect, stats, the learning memory), stored uncompressed so a
 * history of 10,000 generations is one file read instead of 10,000 object reads.
 *
 * A cache, never the truth:
 * - A record is keyed by its object id and holds the object's exact content, so each record is
 *   checked by hashing it (sha1 of `type size\0content` must be its id) before it is used. A
 *   damaged, truncated or forged record is never believed: it is read from git instead and the file
 *   is rewritten.
 * - Objects are immutable, so a record can be incomplete but never stale. Every reader starts from
 *   the refs as they are now; a commit the index lacks (a history rewritten, reset or fetched, a
 *   run killed between its commit and the index update, a commit native git made) is read from the
 *   packs in bulk and added.
 * - A file from another version of this format, or not of it at all, is rebuilt from scratch.
 *
 * Format: `EVGI` + version (u32 BE), then records `kind (u8: 1 commit, 4 tag) | id (20 bytes) |
 * length (u32 BE) | content`. Records are appended (one write each batch); a batch torn by SIGKILL
 * ends the readable part of the file, and the next reader rewrites it.
 */
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { objectStore, type RawObject } from "./object-store.js";

/** Where the index lives, relative to the git directory. */
export const GENERATION_INDEX_PATH = "evolve/generation-index";
/** The format version written; a file of any other version is rebuilt. */
export const GENERATION_INDEX_VERSION = 1;

const MAGIC = "EVGI";
const HEADER = 8;
const KIND = { commit: 1, tag: 4 } as const;
type Kind = keyof typeof KIND;

interface Loaded {
  readonly buffer: Buffer;
  /** oid -> [kind, start, end] of the content in `buffer`. */
  readonly records: Map<string, [number, number, number]>;
  /** Whether the file must be rewritten: missing, another version, damaged, or a record failed its hash. */
  rewrite: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

// One parsed file per git directory, reused while the file's size and mtime are unchanged.
const loaded = new Map<string, Loaded>();

/**
 * EVOLVE_GENERATION_INDEX=off: neither read nor write the index (every history read goes to git).
 * For proving that everything compared with native git holds without it, and for measuring it.
 */
const disabled = (): boolean => process.env["EVOLVE_GENERATION_INDEX"] === "off";

function load(gitdir: string): Loaded {
  if (disabled()) return { buffer: Buffer.alloc(0), records: new Map(), rewrite: false, size: -1, mtimeMs: -1 };
  const path = join(gitdir, GENERATION_INDEX_PATH);
  const stat = statSync(path, { throwIfNoEntry: false });
  const previous = loaded.get(gitdir);
  if (stat !== undefined && previous !== undefined && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs) return previous;
  const empty: Loaded = { buffer: Buffer.alloc(0), records: new Map(), rewrite: true, size: stat?.size ?? -1, mtimeMs: stat?.mtimeMs ?? -1 };
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch {
    loaded.set(gitdir, empty);
    return empty;
  }
  if (buffer.length < HEADER || buffer.toString("latin1", 0, 4) !== MAGIC || buffer.readUInt32BE(4) !== GENERATION_INDEX_VERSION) {
    loaded.set(gitdir, { ...empty, size: buffer.length });
    return loaded.get(gitdir)!;
  }
  const records = new Map<string, [number, number, number]>();
  let at = HEADER;
  let rewrite = false;
  while (at < buffer.length) {
    const kind = buffer[at]!;
    if ((kind !== KIND.commit && kind !== KIND.tag) || at + 25 > buffer.length) {
      rewrite = true;
      break;
    }
    const length = buffer.readUInt32BE(at + 21);
    const start = at + 25;
    if (start + length > buffer.length) {
      rewrite = true;
      break;
    }
    records.set(buffer.toString("hex", at + 1, at + 21), [kind, start, start + length]);
    at = start + length;
  }
  const result: Loaded = { buffer, records, rewrite, size: buffer.length, mtimeMs: stat?.mtimeMs ?? -1 };
  loaded.set(gitdir, result);
  return result;
}

function hashOf(kind: Kind, content: Buffer): string {
  return createHash("sha1").update(`${kind} ${content.length}\0`).update(content).digest("hex");
}

/** Commit and tag reads through the index, with what was missing collected for `save`. */
export interface IndexedObjects {
  /** The commit or tag `oid`: from the index (hash-checked), else from git; undefined if absent or another type. */
  read(oid: string): RawObject | undefined;
  /** Write what was read from git into the index (append, or rewrite a damaged file). Never throws: it is a cache. */
  save(): void;
  /** How many objects came from the index and how many from git, for tests and the benchmark. */
  readonly counts: { fromIndex: number; fromGit: number };
}

/** Open the index of `gitdir` for reading. */
export function openGenerationIndex(gitdir: string): IndexedObjects {
  const file = load(gitdir);
  const verified = new Set<string>();
  const added = new Map<string, RawObject>();
  const counts = { fromIndex: 0, fromGit: 0 };
  const store = objectStore(gitdir);
  const fromIndex = (oid: string): RawObject | undefined => {
    const record = file.records.get(oid);
    if (record === undefined) return undefined;
    const [kind, start, end] = record;
    const type: Kind = kind === KIND.commit ? "commit" : "tag";
    const content = file.buffer.subarray(start, end);
    if (!verified.has(oid)) {
      if (hashOf(type, content) !== oid) {
        file.records.delete(oid);
        file.rewrite = true;
        return undefined;
      }
      verified.add(oid);
    }
    return { type, content };
  };
  return {
    counts,
    read(oid) {
      const hit = fromIndex(oid) ?? added.get(oid);
      if (hit !== undefined) {
        counts.fromIndex++;
        return hit;
      }
      const object = store.read(oid);
      if (object === undefined) return undefined;
      counts.fromGit++;
      if (object.type === "commit" || object.type === "tag") added.set(oid, object);
      return object;
    },
    save() {
      if (disabled() || (added.size === 0 && !file.rewrite)) return;
      try {
        if (file.rewrite) {
          const all = new Map<string, RawObject>();
          for (const oid of file.records.keys()) {
            const object = fromIndex(oid);
            if (object !== undefined) all.set(oid, object);
          }
          for (const [oid, object] of added) all.set(oid, object);
          rewriteIndex(gitdir, all);
        } else appendRecords(gitdir, added);
      } catch {
        // A read-only or full disk costs speed, never an answer.
      }
      added.clear();
    },
  };
}

function encode(objects: ReadonlyMap<string, RawObject>): Buffer[] {
  const parts: Buffer[] = [];
  for (const [oid, object] of objects) {
    if (object.type !== "commit" && object.type !== "tag") continue;
    const head = Buffer.alloc(25);
    head[0] = KIND[object.type];
    head.write(oid, 1, "hex");
    head.writeUInt32BE(object.content.length, 21);
    parts.push(head, object.content);
  }
  return parts;
}

function header(): Buffer {
  const h = Buffer.alloc(HEADER);
  h.write(MAGIC, 0, "latin1");
  h.writeUInt32BE(GENERATION_INDEX_VERSION, 4);
  return h;
}

/** Replace the file whole (temporary file, then rename): a reader sees the old file or the new. */
function rewriteIndex(gitdir: string, objects: ReadonlyMap<string, RawObject>): void {
  const path = join(gitdir, GENERATION_INDEX_PATH);
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([header(), ...encode(objects)]));
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Append records in one write, to a file that starts with this version's header (else nothing:
 * the next reader rebuilds). A record torn by a kill before this append makes the records after it
 * unreadable or fail their hash; readers then treat them as missing and rewrite the file.
 */
function appendRecords(gitdir: string, objects: ReadonlyMap<string, RawObject>): void {
  const path = join(gitdir, GENERATION_INDEX_PATH);
  const data = encode(objects);
  if (data.length === 0) return;
  const fd = openSync(path, "r+");
  try {
    const head = Buffer.alloc(HEADER);
    if (readSync(fd, head, 0, HEADER, 0) !== HEADER || !head.equals(header())) return;
  } finally {
    closeSync(fd);
  }
  appendFileSync(path, Buffer.concat(data));
}

/**
 * The ledger's hook after it writes a commit (and its tag): add them to the index when there is
 * one, so the next reader finds the whole history without reading git. One small append; never
 * throws (a missed update only means the next reader reads git for that commit).
 */
export function indexNewObjects(gitdir: string, objects: ReadonlyArray<{ readonly type: string; readonly oid: string; readonly content: Buffer }>): void {
  if (disabled()) return;
  try {
    const wanted = new Map<string, RawObject>();
    for (const o of objects) if (o.type === "commit" || o.type === "tag") wanted.set(o.oid, { type: o.type, content: o.content });
    appendRecords(gitdir, wanted);
  } catch {
    // No index yet (the first reader builds it), or a read-only disk: the index is a cache.
  }
}
