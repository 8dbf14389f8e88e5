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
  "not-a-workspace": { kind: "refused", when: "the directory is not a workspace (a git repository root with evolve.config.yaml)" },
  workspace: { kind: "refused", when: "the workspace is in a state the command cannot work from (no commits, nothing to judge, missing file)" },
  "dirty-worktree": { kind: "refused", when: "uncommitted changes would be overwritten: data.paths" },
  "ref-not-found": { kind: "refused", when: "a revision, tag or branch does not exist: data.ref" },
  "branch-moved": { kind: "failed", when: "the branch moved under evolve (someone committed meanwhile): data.branch, expected, actual" },
  "revert-conflict": { kind: "refused", when: "a revert does not apply cleanly: data.target, files" },
  "merge-commit": { kind: "refused", when: "the commit is a merge, which evolve does not revert or bisect through: data.commit" },
  "lock-held": { kind: "refused", when: "another evolve process is writing to this workspace: data.pid, since" },
  "no-model": { kind: "refused", when: "the command needs a model and none is configured or flagged" },
  model: { kind: "failed", when: "the model or its server failed (down, timed out, broke off): data.kind" },
  "model-config": { kind: "refused", when: "model settings are wrong (missing file, remote URL refused, bad option): data.kind" },
  "not-found": { kind: "refused", when: "a named thing (interaction id, held candidate, example) does not exist: data.what, id" },
  "agent-build": { kind: "failed", when: "the committed agent does not build" },
  storage: { kind: "failed", when: "evolve's own state on disk cannot be read or written (corrupt, locked, disk full): data.path" },
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

/** Plain text of any thrown value, for one-line problems. */
export function errorMessage(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
