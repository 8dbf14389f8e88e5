/**
 * A mistake in a user-written workspace file (golden cases, custom assertions, evolve.config.yaml).
 * The message always starts with `file:line:column:` so editors and terminals can jump to it, then the
 * field path (`cases[3].assert[0].type`) when there is one, then what is wrong.
 */
import { EvolveError } from "./errors.js";

/** The facts of an input-file error, as `data`. */
export interface InputFileData {
  file: string;
  line: number;
  column: number;
  field: string;
  detail: string;
}

export class WorkspaceInputError extends EvolveError<InputFileData> {
  /** Workspace-relative POSIX path of the offending file. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Dotted/indexed path of the offending field, e.g. `cases[3].assert[0].type`; "" for the whole file. */
  readonly field: string;
  /** The bare explanation, without the position prefix. */
  readonly detail: string;

  constructor(file: string, line: number, column: number, field: string, detail: string) {
    super("input-file", `${file}:${line}:${column}: ${field ? `${field}: ` : ""}${detail}`, { file, line, column, field, detail });
    this.name = "WorkspaceInputError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.field = field;
    this.detail = detail;
  }
}
