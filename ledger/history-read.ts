/**
 * Reading commits for the history readers (log, show, bisect, the learning memory) through the
 * generation index (generation-index.ts), which falls back to packs read in bulk. Imports nothing
 * of isomorphic-git up front, so `evolve log` starts fast; an object these readers cannot reach
 * (alternates, a pack too large for memory) and a revision they do not parse themselves go to the
 * isomorphic-git readers, loaded only then.
 */
import { EvolveError } from "../kernel/errors.js";
import { parseCommit, parseTag, type ParsedCommit } from "./commit-object.js";
import { gitdirOf, readRefFile } from "./fs.js";
import { openGenerationIndex, type IndexedObjects } from "./generation-index.js";
import { readTagRefs, type TagRef } from "./tag-refs.js";

/** One repository's objects, read through its generation index. */
export interface History {
  readonly dir: string;
  readonly gitdir: string;
  readonly objects: IndexedObjects;
  /** The commit `oid` (a full id). Throws EvolveError `ref-not-found` when it is no commit. */
  commit(oid: string): Promise<ParsedCommit>;
  /** The same without waiting, when the index or a pack holds it; undefined sends the caller to `commit`. */
  commitNow(oid: string): ParsedCommit | undefined;
  /** Follow annotated tags from `oid` to a commit; undefined when the chain ends elsewhere. */
  peel(oid: string): string | undefined;
  /** Every tag: the object its ref names and the commit that leads to (undefined: not a commit). */
  tagRefs(): Map<string, TagRef>;
  /** Commit id -> names of the tags leading to it (unsorted). */
  tagsByCommit(): Map<string, string[]>;
  /** Save what was read from git into the index (call when done; never throws). */
  save(): void;
}

// One History per work tree and process: the index and the packs it has read stay loaded.
const histories = new Map<string, History>();

/** The History of the repository at `dir` (a work tree). */
export async function openHistory(dir: string): Promise<History> {
  const known = histories.get(dir);
  const gitdir = await gitdirOf(dir);
  if (known !== undefined && known.gitdir === gitdir) return known;
  // Each open re-reads the index file only if it changed (generation-index.ts keeps it parsed).
  const objects = openGenerationIndex(gitdir);
  const slowCommit = async (oid: string): Promise<ParsedCommit> => {
    const { readCommitInfoSlow } = await import("./history-slow.js");
    return readCommitInfoSlow(dir, oid);
  };
  const history: History = {
    dir,
    gitdir,
    objects,
    async commit(oid) {
      return history.commitNow(oid) ?? slowCommit(oid);
    },
    commitNow(oid) {
      const object = objects.read(oid);
      if (object === undefined) return undefined;
      const parsed = object.type === "commit" ? parseCommit(object.content) : undefined;
      if (parsed === undefined) {
        const reason = `${oid} names a ${object.type}, not a commit`;
        throw new EvolveError("ref-not-found", reason, { ref: oid, reason, dir });
      }
      return parsed;
    },
    peel(oid) {
      let current = oid;
      for (let depth = 0; depth < 10; depth++) {
        const object = objects.read(current);
        if (object?.type === "commit") return current;
        const tag = object?.type === "tag" ? parseTag(object.content) : undefined;
        if (tag === undefined) return undefined;
        current = tag.object;
      }
      return undefined;
    },
    tagRefs: () => readTagRefs(gitdir, (oid) => history.peel(oid)),
    tagsByCommit() {
      const out = new Map<string, string[]>();
      for (const [name, ref] of history.tagRefs()) {
        if (ref.peeled === undefined) continue;
        const list = out.get(ref.peeled);
        if (list) list.push(name);
        else out.set(ref.peeled, [name]);
      }
      return out;
    },
    save: () => objects.save(),
  };
  histories.set(dir, history);
  return history;
}

/**
 * The commit a revision names, for the common forms (`HEAD`, a full ref, a branch or tag name, a
 * full id); anything else (abbreviated ids, `~N`, `^`) goes to the ledger's resolveRef, as do its
 * refusals (`ref-not-found`).
 */
export async function resolveCommit(history: History, ref: string): Promise<string> {
  const candidates = ref === "HEAD" || ref.startsWith("refs/") ? [ref] : /^[0-9a-f]{40}$/.test(ref) ? [] : [`refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`, `refs/remotes/${ref}`];
  let oid: string | undefined = /^[0-9a-f]{40}$/.test(ref) ? ref : undefined;
  for (const name of candidates) {
    if (oid !== undefined || !/^[A-Za-z0-9._/-]+$/.test(name) || name.includes("..")) break;
    oid = await readRefFile(history.gitdir, name).catch(() => undefined);
  }
  const commit = oid === undefined ? undefined : history.peel(oid);
  if (commit !== undefined) return commit;
  const { resolveRef } = await import("./read-tree.js");
  return resolveRef(history.dir, ref);
}
