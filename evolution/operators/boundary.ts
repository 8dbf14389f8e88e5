import { ts } from "ts-morph";
import {
  asAdditiveOperand,
  binaryCandidate,
  forEachRuntimeNode,
  isNumberType,
  replaceNode,
  returnedExpression,
  type Candidate,
  type Operator,
  type SourceContext,
} from "./common.js";

const K = ts.SyntaxKind;

const SWAP = new Map<ts.SyntaxKind, ts.SyntaxKind>([
  [K.LessThanToken, K.LessThanEqualsToken],
  [K.LessThanEqualsToken, K.LessThanToken],
  [K.GreaterThanToken, K.GreaterThanEqualsToken],
  [K.GreaterThanEqualsToken, K.GreaterThanToken],
]);

const COMPARISONS = new Set<ts.SyntaxKind>([...SWAP.keys(), K.EqualsEqualsEqualsToken, K.ExclamationEqualsEqualsToken, K.EqualsEqualsToken, K.ExclamationEqualsToken]);

/** Methods whose numeric arguments are positions or counts: off-by-one territory. */
const INDEX_METHODS = new Set(["slice", "substring", "substr", "at", "charAt", "charCodeAt", "codePointAt", "splice", "padStart", "padEnd", "repeat", "indexOf", "lastIndexOf", "includes", "startsWith", "endsWith", "fill", "toFixed"]);

/** Literal numbers are the literal operator's business. */
function isNumericLiteralLike(e: ts.Expression): boolean {
  return ts.isNumericLiteral(e) || (ts.isPrefixUnaryExpression(e) && e.operator === K.MinusToken && ts.isNumericLiteral(e.operand));
}

/** Numeric expressions where an off-by-one is plausible: indices, index-like arguments, comparison operands, returns. */
function boundarySites(node: ts.Node): ts.Expression[] {
  if (ts.isElementAccessExpression(node)) return [node.argumentExpression];
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && INDEX_METHODS.has(node.expression.name.text)) return [...node.arguments];
  if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind)) return [node.left, node.right];
  const returned = returnedExpression(node);
  return returned ? [returned] : [];
}

/** `<` <-> `<=`, `>` <-> `>=`, and numeric `e` -> `e + 1` / `e - 1` at index, comparison and return sites. */
export const boundary: Operator = (ctx: SourceContext) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (ts.isBinaryExpression(node)) {
      const swapped = SWAP.get(node.operatorToken.kind);
      if (swapped !== undefined) out.push(binaryCandidate(ctx, node, swapped, "boundary"));
    }
    for (const e of boundarySites(node)) {
      if (ts.isSpreadElement(e) || isNumericLiteralLike(e)) continue;
      if (!isNumberType(ctx.checker, ctx.checker.getTypeAtLocation(e))) continue;
      const base = asAdditiveOperand(ctx, e);
      out.push(replaceNode(ctx, e, `${base} + 1`, "boundary"));
      out.push(replaceNode(ctx, e, `${base} - 1`, "boundary"));
    }
  });
  return out;
};
