/**
 * Synchronous object reads for the history readers: packs in bulk (pack-reader.ts), then loose
 * objects. Packs are immutable by name, so an opened pack stays valid; the pack directory is
 * re-listed only when an object is not found (a repack or a fetch added a pack). What this store
 * cannot read (a pack too large to hold in memory, objects from alternates) it reports as absent,
 * and callers fall back to isomorphic-git.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { EvolveError } from "../kernel/errors.js";
import { openPack, type Pack, type RawObject } from "./pack-reader.js";

export type { RawObject } from "./pack-reader.js";

/** Packs larger than this are not read into memory (callers fall back to object-by-object reads). */
const MAX_PACK_BYTES = 512 * 1024 * 1024;

/** Object reads from one git directory. */
export interface ObjectStore {
  readonly gitdir: string;
  /** The object, or undefined when neither a readable pack nor a loose file holds it. */
  read(oid: string): RawObject | undefined;
  /** Full ids starting with `prefix` (lower-case hex), from packs and loose objects. */
  matching(prefix: string): string[];
}

const stores = new Map<string, ObjectStore>();

/** The store of `gitdir` (one per directory per process). */
export function objectStore(gitdir: string): ObjectStore {
  let store = stores.get(gitdir);
  if (store === undefined) {
    store = createStore(gitdir);
    stores.set(gitdir, store);
  }
  return store;
}

function createStore(gitdir: string): ObjectStore {
  const packDir = join(gitdir, "objects", "pack");
  const packs = new Map<string, Pack | null>();
  const rescan = (): void => {
    let names: string[];
    try {
      names = readdirSync(packDir).filter((n) => n.endsWith(".idx"));
    } catch {
      return;
    }
    for (const name of names) {
      if (packs.has(name)) continue;
      const idxPath = join(packDir, name);
      const packPath = `${idxPath.slice(0, -4)}.pack`;
      const size = statSync(packPath, { throwIfNoEntry: false })?.size;
      packs.set(name, size === undefined || size > MAX_PACK_BYTES ? null : openPack(idxPath, (oid) => read(oid)));
    }
  };
  const fromPacks = (oid: string): RawObject | undefined => {
    for (const pack of packs.values()) {
      const object = pack?.read(oid);
      if (object !== undefined) return object;
    }
    return undefined;
  };
  const read = (oid: string): RawObject | undefined => {
    if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
    const found = fromPacks(oid) ?? readLoose(gitdir, oid);
    if (found !== undefined) return found;
    const before = packs.size;
    rescan();
    return packs.size === before ? undefined : fromPacks(oid);
  };
  rescan();
  return {
    gitdir,
    read,
    matching(prefix) {
      rescan();
      const out = new Set<string>();
      for (const pack of packs.values()) for (const oid of pack?.matching(prefix) ?? []) out.add(oid);
      const names = (() => {
        try {
          return readdirSync(join(gitdir, "objects", prefix.slice(0, 2)));
        } catch {
          return [];
        }
      })();
      for (const name of names) if (`${prefix.slice(0, 2)}${name}`.startsWith(prefix) && name.length === 38) out.add(`${prefix.slice(0, 2)}${name}`);
      return [...out].sort();
    },
  };
}

function readLoose(gitdir: string, oid: string): RawObject | undefined {
  const path = join(gitdir, "objects", oid.slice(0, 2), oid.slice(2));
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  let whole: Buffer;
  try {
    whole = inflateSync(bytes);
  } catch {
    throw new EvolveError("storage", `${path}: damaged loose object (does not inflate); run \`git fsck\``, { path, object: oid });
  }
  const nul = whole.indexOf(0);
  const header = whole.toString("latin1", 0, Math.max(nul, 0));
  const match = /^(commit|tree|blob|tag) (\d+)$/.exec(header);
  if (nul < 0 || match === null || Number(match[2]) !== whole.length - nul - 1) {
    throw new EvolveError("storage", `${path}: damaged loose object (bad header); run \`git fsck\``, { path, object: oid });
  }
  return { type: match[1] as RawObject["type"], content: whole.subarray(nul + 1) };
}
