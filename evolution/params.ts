import { getNodePath, parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import { lineColumn, makeEdit, type Edit } from "./edits.js";

/** n+1, n-1, n*2, n/2, n*1.1, n*0.9; integers stay integers (rounded), no-ops and repeats dropped. */
export function adjustNumber(n: number): number[] {
  const integer = Number.isInteger(n);
  const raw = [n + 1, n - 1, n * 2, n / 2, n * 1.1, n * 0.9];
  const out: number[] = [];
  for (const v of raw) {
    const r = integer ? Math.round(v) : Number(v.toPrecision(12));
    if (Number.isFinite(r) && r !== n && !out.includes(r)) out.push(r);
  }
  return out;
}

/** "limits.maxLength" / "weights[2]": where a number sits, for descriptions. */
function pathLabel(node: Node): string {
  let label = "";
  for (const part of getNodePath(node)) label += typeof part === "number" ? `[${part}]` : label === "" ? part : `.${part}`;
  return label === "" ? "(root)" : label;
}

/**
 * Parameter-adjust edits for every number in a JSON parameter file (agent/params.json).
 * Invalid JSON is reported with file, line, column and the parser's reason.
 */
export function paramEdits(file: string, text: string): Edit[] {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  const first = errors[0];
  if (first || !root) {
    const at = lineColumn(text, first?.offset ?? 0);
    throw new Error(`${file}:${at.line}:${at.column}: invalid JSON (${first ? printParseErrorCode(first.error) : "empty document"})`);
  }
  const out: Edit[] = [];
  const visit = (node: Node): void => {
    if (node.type === "number" && typeof node.value === "number") {
      const old = text.slice(node.offset, node.offset + node.length);
      const label = pathLabel(node);
      for (const v of adjustNumber(node.value)) {
        const replacement = String(v);
        out.push(makeEdit(file, text, node.offset, node.offset + node.length, replacement, "param-adjust", { old: `${label} = ${old}`, new: `${label} = ${replacement}` }));
      }
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return out;
}
