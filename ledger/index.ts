/**
 * The ledger: evolve's memory in git (isomorphic-git plus atomic object and ref writes). This is its
 * public face; its modules that are a concept of their own (record, generations, attempts, revert,
 * reset, commits, tags, workspace-lock, ...) may also be imported directly. Its plumbing (fs,
 * objects, tree-hash, worktree) is not imported outside ledger/; test/layers.test.ts keeps it so.
 */
export { readCommitFiles, readCommitFile, readBlobText, resolveRef, readRef, currentBranch, headBranch, peelToCommit, decodeText, tagExists, type CommitFiles, type RefNotFoundData } from "./read-tree.js";
export { candidateTreeOid, buildTree, diffTrees, lookupPath, readCommitTree, EMPTY_TREE, type BuiltTree, type TreeChange, type TreeEntry } from "./tree-hash.js";
export { formatMessage, parseTrailers, type Trailers } from "./trailers.js";
export { commitChanges, type CommitOptions, type CommitResult } from "./commit-generation.js";
export { dirtyPaths, repairWorktree, type RepairReport } from "./worktree.js";
export { initRepository, type InitOptions } from "./init-repo.js";
export { appendAttempts, recordAttempts, readAttempts, checkAttempt, ATTEMPTS_REF, type AttemptRecord, type AttemptsHistorySettings } from "./attempts.js";
export { commitGeneration, revertGeneration, generationMessage, type GenerationCommit, type GenerationChange } from "./generation-commit.js";
export { commitFirstInPlace, scanFolder, type FolderScan } from "./adopt-repo.js";
export { userIdentity, type FoundIdentity } from "./identity.js";
export { openEvalCache, type EvalCache } from "./eval-cache.js";
export { firstParentLog, tagsByCommit, type LogEntry } from "./log.js";
export { unifiedDiff, applyUnifiedDiff } from "./diff.js";
export { DEFAULT_IDENTITY, type Identity } from "./objects.js";
export { gitdirOf } from "./fs.js";
export { readCommitInfo, firstParentRange, isAncestor, readFileAt, type CommitInfo } from "./commits.js";
export { checkNewTagName, createAnnotatedTag, type NewTag } from "./tags.js";
export { withWorkspaceLock, readWorkspaceLock, LOCK_PATH, type LockHolder, type LockHeldData, type LockOptions } from "./workspace-lock.js";
