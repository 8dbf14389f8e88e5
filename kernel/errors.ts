/**
 * Typed errors. Every failure evolve reports to a person carries a `code` (what happened, stable for
 * callers and tests) and `data` (the facts, for `--json` and for code that reacts to it). Callers
 * branch on `code`, never on message text. Whether a code is the user's input being refused (exit 2)
 * or a job that failed (exit 1) is decided once, in ERROR_CODES; the command line maps that to exit
 * codes in one place.
 */

/** Whether an error refuses the user's input (nothing was done) or reports a job that failed. */
export type ErrorKind = "refused" | "failed";

/**
 * Every error code, with its kind and one line on when it is raised. Add a code here first; the
 * type of `code` follows from this table.
 */
export const ERROR_CODES = {
  "input-file": { kind: "refused", when: "a user-written file (config, golden case, params, template) is malformed: data has file, line, column, field" },
  usage: { kind: "refused", when: "a flag or argument is wrong or missing" },
  "not-a-workspace": { kind: "refused", when: "the directory is not a workspace (a git repository root with evolve.config.yaml): data.dir" },
  workspace: { kind: "refused", when: "the workspace is in a state the command cannot work from (no commits, nothing to judge, missing file)" },
  "dirty-worktree": { kind: "refused", when: "uncommitted changes would be overwritten: data.paths" },
  "ref-not-found": { kind: "refused", when: "a revision, tag or branch does not exist or names no commit: data.ref, reason" },
  "branch-moved": { kind: "failed", when: "a ref moved under evolve (someone committed meanwhile): data.ref, branch (for a branch), expected, actual" },
  "revert-conflict": { kind: "refused", when: "a revert does not apply cleanly: data.target, files" },
  "merge-commit": { kind: "refused", when: "the commit is a merge, which evolve does not revert or bisect through: data.commit" },
  "detached-head": { kind: "refused", when: "HEAD is detached, and the command works on the current branch: data.dir" },
  "not-in-history": { kind: "refused", when: "a commit is not in the history it must be in (a revert target, a bisect range end): data.commit, tip" },
  "no-change": { kind: "refused", when: "the operation would change nothing (a revert already undone, changes equal to the tree): data.commit" },
  "tag-exists": { kind: "refused", when: "a tag of that name already marks a commit that must keep it: data.tag, commit" },
  "bad-ref-name": { kind: "refused", when: "a branch or tag name git would not accept: data.name" },
  "ref-locked": { kind: "refused", when: "a git ref is locked by another process, or by a stale `<ref>.lock` a killed one left: data.ref, lockFile" },
  "ignored-path": { kind: "refused", when: "a new file to commit is matched by .gitignore: data.path" },
  "unsupported-content": { kind: "refused", when: "a change evolve can only record as text involves binary content, a symlink or a file mode: data.paths" },
  "lock-held": { kind: "refused", when: "another evolve process is writing to this workspace (or --wait gave up): data.pid, command, since, host, lockFile" },
  "no-model": { kind: "refused", when: "the command needs a model and none is configured or flagged" },
  model: { kind: "failed", when: "the model or its server failed (down, timed out, broke off): data.kind" },
  "model-config": { kind: "refused", when: "model settings are wrong (missing file, remote URL refused, bad option): data.kind" },
  "not-found": { kind: "refused", when: "a named thing (interaction id, held candidate, example) does not exist: data.what, id" },
  "agent-build": { kind: "failed", when: "the committed agent does not build" },
  unstable: { kind: "failed", when: "a known-good check failed: a mustPass case fails, runs disagree, or the tree does not build: data.tag, commit, problems" },
  storage: { kind: "failed", when: "evolve's own state on disk cannot be read or written (corrupt, locked, disk full): data.path, object (a git object id)" },
  "storage-version": { kind: "refused", when: "evolve's own state on disk was written by a newer evolve (schema version above the one known here): data.path, version, supported" },
  "sandbox-fault": { kind: "failed", when: "every case of a tree crashed or timed out: the sandbox or machine, not the agent, is at fault: data.commit, kinds" },
  "stale-candidate": { kind: "refused", when: "a held candidate no longer applies to the branch tip, or no longer improves it: data.id, path, reason" },
  "run-interrupted": { kind: "failed", when: "the branch or work tree changed under a running evolve run: data.branch, expected, actual, paths" },
  queue: { kind: "failed", when: "distributed evaluation stopped: Redis unreachable past the limit, no worker connected, or a worker refused or failed a job: data.redis (password redacted), reason" },
  internal: { kind: "failed", when: "an invariant broke: a bug in evolve" },
} as const satisfies Record<string, { kind: ErrorKind; when: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error type evolve throws at people. `data` holds the facts the message is made of. */
export class EvolveError<D extends object = Record<string, unknown>> extends Error {
  readonly code: ErrorCode;
  readonly data: D;

  constructor(code: ErrorCode, message: string, data?: D, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EvolveError";
    this.code = code;
    this.data = data ?? ({} as D);
  }
}

/** Whether the error refuses input or reports a failed job; anything not an EvolveError is a failure (a bug). */
export function kindOf(error: unknown): ErrorKind {
  return error instanceof EvolveError ? ERROR_CODES[error.code].kind : "failed";
}

/** True for an EvolveError, optionally of one of `codes`. */
export function isEvolveError(value: unknown, ...codes: ErrorCode[]): value is EvolveError {
  return value instanceof EvolveError && (codes.length === 0 || codes.includes(value.code));
}

/**
 * The same failure (code, data, cause) in the caller's words, e.g. a ledger refusal restated for the
 * command that ran into it. Callers still branch on the code, which is unchanged.
 */
export function reworded(error: EvolveError, message: string): EvolveError {
  return new EvolveError(error.code, message, error.data, { cause: error });
}

/** Node's errors from the file system and the OS that are about the machine, not a bug. */
const SYSTEM_CODES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/** "no space left on the device (ENOSPC)" for a machine fault (a system error of a known code); null for anything else. */
export function systemFault(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as NodeJS.ErrnoException).code;
  const what = code === undefined ? undefined : SYSTEM_CODES[code];
  return what === undefined ? null : `${what} (${code})`;
}

/**
 * A machine fault met while writing evolve's own state, restated as a `storage` failure naming what
 * was being written: Node's own error names only a temporary file, or for a failed `write` no file
 * at all. Anything that is not a machine fault is returned as it is.
 */
export function storageFault(path: string, doing: string, error: unknown): unknown {
  const fault = systemFault(error);
  if (fault === null || error instanceof EvolveError) return error;
  return new EvolveError("storage", `${path}: cannot ${doing}: ${fault}`, { path }, { cause: error });
}

/** Plain text of any thrown value, for one-line problems. */
export function errorMessage(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
