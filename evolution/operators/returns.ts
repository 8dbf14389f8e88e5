import { ts } from "ts-morph";
import {
  asAdditiveOperand,
  asMemberObject,
  asUnaryOperand,
  forEachRuntimeNode,
  includesNull,
  isArrayType,
  isBooleanType,
  isNumberType,
  isStringType,
  nodeText,
  replaceNode,
  type Candidate,
  type Operator,
  type SourceContext,
} from "./common.js";

const K = ts.SyntaxKind;

/** Returned expressions: `return e;` and the body of an expression-bodied arrow. */
function returnedExpression(node: ts.Node): ts.Expression | undefined {
  if (ts.isReturnStatement(node)) return node.expression;
  if (ts.isArrowFunction(node) && !ts.isBlock(node.body)) return node.body;
  return undefined;
}

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
