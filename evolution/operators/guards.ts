import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import {
  includesNull,
  isArrayType,
  isBooleanType,
  isFunctionWithBody,
  isNumberType,
  isStringType,
  lineIndent,
  type Candidate,
  type Operator,
  type SourceContext,
} from "./common.js";

/** Guards per function at most: conditions times values grow fast. */
const MAX_GUARDS = 40;

/** Early-exit conditions on a parameter, by its type: small numbers, empty collections, null. */
function conditions(ctx: SourceContext, p: ts.ParameterDeclaration): string[] {
  if (!ts.isIdentifier(p.name) || p.dotDotDotToken) return [];
  const n = p.name.text;
  const t = ctx.checker.getTypeAtLocation(p.name);
  if (includesNull(t)) return [`${n} === null`];
  if (isNumberType(ctx.checker, t)) return [`${n} <= 0`, `${n} < 2`, `${n} === 0`, `${n} < 0`];
  if (isStringType(ctx.checker, t) || isArrayType(ctx.checker, t)) return [`${n}.length === 0`, `${n}.length < 2`];
  return [];
}

/** Values an early exit may return, by the function's return type; parameters of that type too. */
function values(ctx: SourceContext, fn: ts.FunctionLikeDeclaration, want: ts.Type): string[] {
  const { checker } = ctx;
  const out: string[] = [];
  if (isBooleanType(checker, want)) out.push("false", "true");
  else if (isNumberType(checker, want)) out.push("0", "-1", "1");
  else if (isStringType(checker, want)) out.push('""');
  else if (isArrayType(checker, want)) out.push("[]");
  if (includesNull(want)) out.push("null");
  for (const p of fn.parameters) {
    if (ts.isIdentifier(p.name) && checker.isTypeAssignableTo(checker.getTypeAtLocation(p.name), want)) out.push(p.name.text);
  }
  return out;
}

/**
 * A missing guard: `if (COND) return VALUE;` inserted before a function's first statement, where
 * COND tests a parameter for a small, empty or null value and VALUE is a constant or a parameter of
 * the return type (PAR's "add a checker" templates, confined to what type-checks).
 */
export const insertGuard: Operator = (ctx) => {
  const out: Candidate[] = [];
  const walk = (node: ts.Node): void => {
    ts.forEachChild(node, walk);
    if (!isFunctionWithBody(node) || !ts.isFunctionLike(node)) return;
    const fn = node as ts.FunctionLikeDeclaration;
    if (fn.asteriskToken || !fn.body || !ts.isBlock(fn.body) || fn.body.statements.length === 0) return;
    const want = ctx.checker.getSignatureFromDeclaration(fn)?.getReturnType();
    if (!want || (want.flags & (ts.TypeFlags.Void | ts.TypeFlags.Any)) !== 0) return;
    const first = fn.body.statements[0]!;
    const start = first.getStart(ctx.sf);
    const { lineStart, indent } = lineIndent(ctx.text, start);
    const ownLine = ctx.text.slice(lineStart, start).trim() === "";
    const vals = values(ctx, fn, want);
    let n = 0;
    for (const p of fn.parameters) {
      for (const cond of conditions(ctx, p)) {
        for (const v of vals) {
          if (n++ >= MAX_GUARDS) return;
          const guard = `if (${cond}) return ${v};`;
          const text = ownLine ? `${indent}${guard}\n` : `${guard} `;
          const at = ownLine ? lineStart : start;
          out.push({ edit: makeEdit(ctx.path, ctx.text, at, at, text, "insert-guard", { old: "", new: guard }, start), focus: start });
        }
      }
    }
  };
  ts.forEachChild(ctx.sf, walk);
  return out;
};
