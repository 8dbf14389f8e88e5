import type { FileMap } from "../kernel/files.js";

export { OPERATOR_NAMES, type OperatorName } from "../workspace/operators.js";
import type { OperatorName } from "../workspace/operators.js";

/** Replace [start, end) of `file` (char offsets in the BASE text) with `text`. */
export interface Edit {
  file: string;
  start: number;
  end: number;
  text: string;
  operator: OperatorName;
  /** Human-readable, e.g. "agent/tools/text.ts:12:9 boundary: `i < n` -> `i <= n`". */
  description: string;
  /** 1-based line in the base text of what the edit changes (usually `start`). */
  line: number;
  /** 1-based column, with `line`. */
  column: number;
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** One line, at most `max` characters: descriptions must stay readable in logs and git notes. */
export function snippet(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * Build an Edit with its position and description. `shown` lets an operator describe a change by a
 * wider context than the spliced range (e.g. the whole comparison for an operator token); `at` is the
 * offset reported as line:column when that context starts elsewhere (a statement, not the whitespace
 * before it or the point after it where a copy is inserted).
 */
export function makeEdit(
  file: string,
  baseText: string,
  start: number,
  end: number,
  text: string,
  operator: OperatorName,
  shown?: { old: string; new: string },
  at: number = start,
): Edit {
  const { line, column } = lineColumn(baseText, at);
  const oldShown = shown?.old ?? baseText.slice(start, end);
  const newShown = shown?.new ?? text;
  const describeOld = oldShown.length === 0 ? "(insert)" : `\`${snippet(oldShown)}\``;
  const describeNew = newShown.trim().length === 0 ? "(delete)" : `\`${snippet(newShown)}\``;
  return {
    file,
    start,
    end,
    text,
    operator,
    line,
    column,
    description: `${file}:${line}:${column} ${operator}: ${describeOld} -> ${describeNew}`,
  };
}

/**
 * Apply edits to a copy of `files`. Offsets refer to the base text, so edits of one file are spliced
 * from the end backwards. Overlapping ranges, and two edits at the same point where one is an
 * insertion (their order would be a guess), are refused with an error naming both.
 */
export function applyEdits(files: FileMap, edits: readonly Edit[]): FileMap {
  const byFile = new Map<string, Edit[]>();
  for (const edit of edits) {
    const list = byFile.get(edit.file);
    if (list) list.push(edit);
    else byFile.set(edit.file, [edit]);
  }
  const out = new Map(files);
  for (const [file, list] of byFile) {
    const base = files.get(file);
    if (base === undefined) throw new Error(`applyEdits: ${file}: no such file in the tree (edit: ${list[0]?.description ?? "?"})`);
    for (const e of list) {
      if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end < e.start || e.end > base.length) {
        throw new Error(`applyEdits: ${file}: range [${e.start}, ${e.end}) outside the file (length ${base.length}) in edit ${e.description}`);
      }
    }
    const sorted = list.slice().sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as Edit;
      const cur = sorted[i] as Edit;
      const samePointInsert = cur.start === prev.start && (cur.start === cur.end || prev.start === prev.end);
      if (cur.start < prev.end || samePointInsert) {
        throw new Error(`applyEdits: ${file}: overlapping edits [${prev.start}, ${prev.end}) "${prev.description}" and [${cur.start}, ${cur.end}) "${cur.description}"`);
      }
    }
    let text = base;
    for (let i = sorted.length - 1; i >= 0; i--) {
      const e = sorted[i] as Edit;
      text = text.slice(0, e.start) + e.text + text.slice(e.end);
    }
    out.set(file, text);
  }
  return out;
}
