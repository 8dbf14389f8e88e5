/**
 * The one way a generation enters history, whoever makes it (run, tune, rollback, the automatic
 * rollback, a held candidate approved later): the record becomes the commit message with its
 * `Evolve-*` trailers (record.ts), the next free `gen-N` tag marks it, and commitChanges or
 * revertCommit writes it. Callers build a GenerationRecord; none formats a message by hand.
 */
import { commitChanges } from "./commit-generation.js";
import { freeTagName } from "./generations.js";
import { bodyOf, subjectOf, tagMessageOf, trailersOf, type GenerationRecord } from "./record.js";
import { revertCommit } from "./revert.js";
import { formatMessage } from "./trailers.js";

/** A generation written: its commit, tree and tag. */
export interface GenerationCommit {
  readonly commit: string;
  readonly tree: string;
  readonly tag: string;
}

/** What to write on top of `parent` (the branch tip, checked again under the ref lock). */
export interface GenerationChange {
  readonly branch: string;
  readonly parent: string;
  /** path -> new text, or null to delete. */
  readonly changes: ReadonlyMap<string, string | null>;
  readonly record: GenerationRecord;
  /** Trailers beyond the record's own (tune's `Evolve-AB`), written after them. */
  readonly extraTrailers?: ReadonlyArray<readonly [string, string]>;
}

/** The full commit message of a record (subject, body, trailers). */
export function generationMessage(record: GenerationRecord, extra: ReadonlyArray<readonly [string, string]> = []): string {
  return formatMessage(subjectOf(record), bodyOf(record), [...trailersOf(record), ...extra.map(([k, v]) => [k, v] as [string, string])]);
}

/** Commit `changes` as generation `record.generation`, tagged with the next free gen-N name. */
export async function commitGeneration(root: string, g: GenerationChange): Promise<GenerationCommit> {
  const tag = await freeTagName(root, `gen-${g.record.generation}`, g.parent);
  const out = await commitChanges(root, {
    branch: g.branch,
    parent: g.parent,
    changes: g.changes,
    message: generationMessage(g.record, g.extraTrailers),
    tagName: tag,
    tagMessage: tagMessageOf(g.record),
  });
  return { commit: out.commit, tree: out.tree, tag };
}

/**
 * Commit the revert of `target` on top of the branch tip `tip` as generation `record.generation`
 * (a 3-way revert: the tree native `git revert` makes).
 */
export async function revertGeneration(root: string, r: { branch: string; tip: string; target: string; record: GenerationRecord }): Promise<GenerationCommit & { changed: string[] }> {
  const tag = await freeTagName(root, `gen-${r.record.generation}`, r.tip);
  const out = await revertCommit(root, {
    branch: r.branch,
    target: r.target,
    message: () => generationMessage(r.record),
    tagName: tag,
    tagMessage: tagMessageOf(r.record),
  });
  return { commit: out.commit, tree: out.tree, tag, changed: out.changed };
}
