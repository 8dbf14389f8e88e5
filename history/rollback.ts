/**
 * `evolve rollback REF`: undo one generation (any, not only the tip) as a real revert commit, the
 * tree native `git revert` would make, recorded like any other generation: Evolve-* trailers with
 * the score measured afresh on the reverted tree, `Evolve-Reverts` naming the undone commit, and a
 * gen-N tag. The tree is measured before anything is written; a conflict or a tree that cannot be
 * measured stops it with nothing changed.
 */
import type { FileMap } from "../kernel/files.js";
import { isEvolveError, reworded } from "../kernel/errors.js";
import { WorkspaceError } from "../workspace/open.js";
import {
  currentBranch,
  diffTrees,
  dirtyPaths,
  openEvalCache,
  readBlobText,
  readCommitFiles,
  readCommitInfo,
  resolveRef,
} from "../ledger/index.js";
import { revertTree } from "../ledger/revert.js";
import { revertGeneration } from "../ledger/generation-commit.js";
import type { Measurement } from "../golden-tests/evaluate.js";
import { flippedCases, loadTreeSetup, measureRuns, withEvaluator } from "./measure-tree.js";
import { lastGenerationAt } from "../ledger/generations.js";
import type { GenerationRecord, LiveRegressionTrailer } from "../ledger/record.js";

const MODEL_NONE = "none";

/** What a rollback committed. */
export interface RollbackResult {
  /** The revert commit and its tree. */
  commit: string;
  tree: string;
  /** The tag on it (gen-N, or gen-N.2 if gen-N was taken). */
  tag: string;
  generation: number;
  branch: string;
  /** The branch tip the revert was made on. */
  parent: string;
  /** The reverted commit and its subject. */
  reverted: string;
  revertedSubject: string;
  /** Paths the revert changed. */
  changed: string[];
  /** The reverted tree, measured afresh. */
  measurement: Measurement;
  /** The tip before, measured with the same suite (from the cache when it holds it); null if it does not build. */
  parentMeasurement: Measurement | null;
  /** Cases the rollback makes pass / fail relative to the tip. */
  fixed: string[];
  broken: string[];
  suiteHash: string;
}

/** Why a rollback is made, when not by a person's `evolve rollback`: its lines and evidence go into the commit. */
export interface RollbackReason {
  /** Body lines saying who decided and why (replacing the `evolve rollback REF` line). */
  details?: string[];
  /** Lines of evidence put before the note that the score was measured on the reverted tree (the watcher's live check). */
  why?: readonly string[];
  /** The Evolve-Proposer trailer (default `user`). */
  proposer?: string;
  liveRegression?: LiveRegressionTrailer;
}

/**
 * Revert `ref` on the current branch. Refuses (WorkspaceError, nothing written) a detached HEAD,
 * uncommitted changes, an unknown ref, a commit outside the branch's history, a merge commit, a
 * conflicting revert (naming the files), a revert that changes nothing and a reverted tree that
 * does not build.
 */
export async function rollback(root: string, ref: string, why?: RollbackReason): Promise<RollbackResult> {
  const branch = await cleanBranch(root);
  const target = await resolveRef(root, ref);
  const tip = await resolveRef(root, "HEAD");

  let reverted: { tree: string; changed: string[] };
  try {
    reverted = await revertTree(root, tip, target);
  } catch (e) {
    if (isEvolveError(e, "revert-conflict")) throw reworded(e, `cannot roll back ${ref}: ${e.message}`);
    if (isEvolveError(e, "merge-commit", "not-in-history")) throw reworded(e, `cannot roll back ${ref}: ${e.message}; nothing was changed`);
    throw e;
  }
  if (reverted.changed.length === 0) {
    throw new WorkspaceError(`cannot roll back ${ref}: its changes are already undone on ${branch} (the revert would change nothing); nothing was changed`);
  }

  const { setup, measurement, before } = await measureRevert(root, ref, tip, reverted.tree);
  const generation = (await lastGenerationAt(root, tip)) + 1;
  const targetSubject = (await readCommitInfo(root, target)).subject;
  const flips = before === null ? { fixed: [], broken: [] } : flippedCases(before, measurement);
  const record: GenerationRecord = {
    generation,
    action: "rollback",
    // Quoted like git's `Revert "..."`, so the reverted subject's own words ("fixes x") are not read as this commit's.
    summary: `revert "${targetSubject.replace(/^evolve: /, "")}"`,
    details: [
      `This reverts commit ${target}.`,
      ...(why?.details ??
        (why?.why !== undefined
          ? [...why.why, "The score below was measured on the reverted tree."]
          : [`Rolled back with \`evolve rollback ${ref}\`; the score below was measured on the reverted tree.`])),
      ...(flips.broken.length > 0 ? [`Now failing: ${flips.broken.join(", ")}`] : []),
    ],
    parent: before,
    measurement,
    fixed: flips.fixed,
    proposer: why?.proposer ?? "user",
    operator: "revert",
    suiteHash: setup.suite.hash,
    model: MODEL_NONE,
    seed: setup.config.evolution.seed,
    candidates: 0,
    reverts: target,
    ...(why?.liveRegression !== undefined ? { liveRegression: why.liveRegression } : {}),
  };
  // The tree was measured on this tip: if someone moved the branch meanwhile, commitChanges refuses.
  const committed = await revertGeneration(root, { branch, tip, target, record });
  const tag = committed.tag;
  if (committed.tree !== reverted.tree) throw new Error(`internal: the committed revert ${committed.commit} has tree ${committed.tree}, but ${reverted.tree} was measured`);
  return {
    commit: committed.commit,
    tree: committed.tree,
    tag,
    generation,
    branch,
    parent: tip,
    reverted: target,
    revertedSubject: targetSubject,
    changed: reverted.changed,
    measurement,
    parentMeasurement: before,
    fixed: flips.fixed,
    broken: flips.broken,
    suiteHash: setup.suite.hash,
  };
}

/** The current branch, if HEAD is on one and the work tree is clean: a rollback commits there. */
async function cleanBranch(root: string): Promise<string> {
  const branch = await currentBranch(root).catch((e: unknown) => {
    throw isEvolveError(e, "detached-head") ? reworded(e, `${e.message}; rollback commits to the current branch`) : e;
  });
  const dirty = await dirtyPaths(root);
  if (dirty.length > 0) {
    throw new WorkspaceError(`${root}: the work tree has uncommitted changes (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", ..." : ""}); commit or discard them first; nothing was changed`, "dirty-worktree", { dir: root, paths: dirty });
  }
  return branch;
}

/**
 * The reverted tree measured afresh and the tip measured with the same suite (from the cache when
 * it holds it; null if it does not build), both left in the cache. Nothing is committed yet.
 */
async function measureRevert(root: string, ref: string, tip: string, revertedTree: string) {
  const tipFiles = await readCommitFiles(root, tip);
  const files = await applyTreeChanges(root, tipFiles.files, tipFiles.tree, revertedTree);
  const setup = await loadTreeSetup(files, `the revert of ${ref}`);
  const cache = await openEvalCache(root);
  const measured = await withEvaluator(setup, async (evaluator) => {
    const now = await measureRuns(evaluator, files, 1);
    if (!now.ok) return { ok: false as const, reason: now.reason };
    const cachedTip = cache.get(tipFiles.tree, setup.suite.hash, MODEL_NONE) as Measurement | undefined;
    let before: Measurement | null = cachedTip ?? null;
    if (before === null) {
      const tipRun = await measureRuns(evaluator, tipFiles.files, 1);
      if (tipRun.ok) {
        before = tipRun.runs[0]!;
        cache.set(tipFiles.tree, setup.suite.hash, MODEL_NONE, before);
      }
    }
    return { ok: true as const, measurement: now.runs[0]!, before };
  });
  if (!measured.ok) throw new WorkspaceError(`cannot roll back ${ref}: the reverted tree does not build, so it cannot be measured: ${measured.reason}; nothing was changed`);
  const { measurement, before } = measured;
  cache.set(revertedTree, setup.suite.hash, MODEL_NONE, measurement);
  await cache.flush();
  return { setup, measurement, before };
}

/** `files` (the text files of tree `from`) changed into those of tree `to`; binary content is left out, as readCommitFiles does. */
async function applyTreeChanges(root: string, files: FileMap, from: string, to: string): Promise<FileMap> {
  const out = new Map(files);
  for (const change of await diffTrees(root, from, to)) {
    out.delete(change.path);
    if (change.after === null) continue;
    const text = await readBlobText(root, change.after.oid);
    if (text !== null) out.set(change.path, text);
  }
  return out;
}

