import { ts } from "ts-morph";
import { asAdditiveOperand, forEachRuntimeNode, isNumberType, nodeText, replaceNode, type Candidate, type Operator, type SourceContext } from "./common.js";

const K = ts.SyntaxKind;

function isOne(e: ts.Expression): boolean {
  return ts.isNumericLiteral(e) && Number(e.text) === 1;
}

/** Numeric expressions where a missing or extra `+ 1` is plausible: assigned values, initialisers, call arguments. */
function sites(node: ts.Node): readonly ts.Expression[] {
  if (ts.isBinaryExpression(node) && node.operatorToken.kind >= K.FirstAssignment && node.operatorToken.kind <= K.LastAssignment) return [node.right];
  if (ts.isVariableDeclaration(node) && node.initializer) return [node.initializer];
  if (ts.isCallExpression(node)) return node.arguments;
  if (ts.isArrayLiteralExpression(node)) return node.elements;
  return [];
}

/** `e + 1` / `e - 1` the other way round is the arithmetic operator's; here the term is added or removed. */
function withoutOne(ctx: SourceContext, node: ts.Node): Candidate[] {
  if (!ts.isBinaryExpression(node) || !isOne(node.right)) return [];
  const op = node.operatorToken.kind;
  if (op !== K.PlusToken && op !== K.MinusToken) return [];
  if (!isNumberType(ctx.checker, ctx.checker.getTypeAtLocation(node.left))) return [];
  return [replaceNode(ctx, node, nodeText(ctx, node.left), "off-by-one")];
}

/**
 * A numeric expression gains `+ 1` or `- 1` where boundary does not look (assigned values, variable
 * initialisers, any call's arguments, array elements), and an existing `e + 1` / `e - 1` loses its
 * term. Numeric literals are left to the literal operator.
 */
export const offByOne: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    out.push(...withoutOne(ctx, node));
    for (const e of sites(node)) {
      if (ts.isNumericLiteral(e) || ts.isSpreadElement(e) || ts.isOmittedExpression(e)) continue;
      if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) continue;
      if (ts.isBinaryExpression(e) && isOne(e.right) && (e.operatorToken.kind === K.PlusToken || e.operatorToken.kind === K.MinusToken)) continue;
      if (!isNumberType(ctx.checker, ctx.checker.getTypeAtLocation(e))) continue;
      const base = asAdditiveOperand(ctx, e);
      out.push(replaceNode(ctx, e, `${base} + 1`, "off-by-one"), replaceNode(ctx, e, `${base} - 1`, "off-by-one"));
    }
  });
  return out;
};
