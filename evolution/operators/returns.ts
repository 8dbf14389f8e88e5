import { ts } from "ts-morph";
import {
  asAdditiveOperand,
  asMemberObject,
  asUnaryOperand,
  enclosingFunction,
  forEachRuntimeNode,
  isAnyLike,
  includesNull,
  isArrayType,
  isBooleanType,
  isNumberType,
  isStringType,
  nodeText,
  replaceNode,
  returnedExpression,
  type Candidate,
  type Operator,
  type SourceContext,
} from "./common.js";

const K = ts.SyntaxKind;

/** Replacements by the returned type; an arrow's object-literal body needs parentheses, so `e` is used as written. */
function alternatives(ctx: SourceContext, e: ts.Expression): string[] {
  const { checker } = ctx;
  const type = checker.getTypeAtLocation(e);
  const text = nodeText(ctx, e);
  const out: string[] = [];
  const isLiteral = ts.isNumericLiteral(e) || ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || e.kind === K.TrueKeyword || e.kind === K.FalseKeyword;
  if (isNumberType(checker, type) && !isLiteral) out.push(`${asAdditiveOperand(ctx, e)} + 1`, `${asAdditiveOperand(ctx, e)} - 1`);
  else if (isBooleanType(checker, type) && !isLiteral) out.push(`!${asUnaryOperand(ctx, e)}`);
  else if (isStringType(checker, type)) {
    out.push('""');
    if (!isLiteral) out.push(`${asMemberObject(ctx, e)}.trim()`, `${asMemberObject(ctx, e)}.toLowerCase()`);
  } else if (isArrayType(checker, type)) out.push("[]");
  // null only where the declared (contextual) return type admits it: an inferred type would just change.
  const contextual = checker.getContextualType(e);
  if (contextual && includesNull(contextual) && e.kind !== K.NullKeyword) out.push("null");
  return out.filter((alt) => alt !== text);
}

/** Returned values changed by type: numbers +/- 1, booleans negated, strings emptied/trimmed/lower-cased, arrays emptied, null. */
export const returnValue: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    const e = returnedExpression(node);
    if (!e) return;
    for (const alt of alternatives(ctx, e)) out.push(replaceNode(ctx, e, alt, "return-value"));
  });
  return out;
};

/** Locals and parameters of the function owning `node`, declared before it, whose type fits `want`. */
function localsFitting(ctx: SourceContext, node: ts.Node, want: ts.Type): string[] {
  const owner = enclosingFunction(node);
  if (!owner) return [];
  const at = node.getStart(ctx.sf);
  const out: string[] = [];
  for (const s of ctx.checker.getSymbolsInScope(node, ts.SymbolFlags.Variable)) {
    const decl = s.declarations?.[0];
    if (!decl || decl.getSourceFile() !== ctx.sf || decl.getStart(ctx.sf) < owner.getStart(ctx.sf) || decl.getEnd() > owner.getEnd()) continue;
    if (decl.getEnd() > at && !ts.isParameter(decl)) continue;
    const t = ctx.checker.getTypeOfSymbolAtLocation(s, node);
    if (isAnyLike(t) || !ctx.checker.isTypeAssignableTo(t, want)) continue;
    out.push(s.getName());
  }
  return out;
}

/** `return e;` -> `return v;` for each local or parameter `v` of the function whose type fits the return. */
export const returnVariable: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (!ts.isReturnStatement(node) || !node.expression) return;
    const e = node.expression;
    const want = ctx.checker.getContextualType(e) ?? ctx.checker.getTypeAtLocation(e);
    if (isAnyLike(want)) return;
    const text = nodeText(ctx, e);
    for (const name of localsFitting(ctx, node, want)) if (name !== text) out.push(replaceNode(ctx, e, name, "return-variable"));
  });
  return out;
};
