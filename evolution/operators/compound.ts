import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import { forEachRuntimeNode, isNumberType, isStringType, nodeText, textAfter, type Candidate, type Operator, type SourceContext } from "./common.js";

const K = ts.SyntaxKind;

/** Compound operators that also exist as a plain `=`: `x += e` may have been meant as `x = e`, and back. */
const NUMERIC = [K.PlusEqualsToken, K.MinusEqualsToken, K.AsteriskEqualsToken];

function tokenCandidate(ctx: SourceContext, node: ts.BinaryExpression, kind: ts.SyntaxKind): Candidate {
  const op = node.operatorToken;
  const text = ts.tokenToString(kind) as string;
  const start = node.getStart(ctx.sf);
  const shown = { old: nodeText(ctx, node), new: textAfter(ctx, node, op.getStart(ctx.sf), op.getEnd(), text) };
  return { edit: makeEdit(ctx.path, ctx.text, op.getStart(ctx.sf), op.getEnd(), text, "compound-assignment", shown, start), focus: start };
}

/**
 * A plain assignment made compound (`x = e` -> `x += e`, `-=`, `*=` for numbers; `+=` for strings)
 * and a compound one made plain (`x += e` -> `x = e`). Both sides must be numbers, or strings for
 * `+=`, so the result type-checks. (`+=` <-> `-=` is the arithmetic operator's business.)
 */
export const compoundAssignment: Operator = (ctx) => {
  const out: Candidate[] = [];
  const { checker } = ctx;
  forEachRuntimeNode(ctx.sf, (node) => {
    if (!ts.isBinaryExpression(node)) return;
    const op = node.operatorToken.kind;
    const left = checker.getTypeAtLocation(node.left);
    const right = checker.getTypeAtLocation(node.right);
    const numbers = isNumberType(checker, left) && isNumberType(checker, right);
    const strings = isStringType(checker, left) && isStringType(checker, right);
    if (op === K.EqualsToken) {
      // Destructuring and declarations-like targets cannot be compound.
      if (!ts.isIdentifier(node.left) && !ts.isElementAccessExpression(node.left) && !ts.isPropertyAccessExpression(node.left)) return;
      if (numbers) for (const k of NUMERIC) out.push(tokenCandidate(ctx, node, k));
      else if (strings) out.push(tokenCandidate(ctx, node, K.PlusEqualsToken));
    } else if ((NUMERIC.includes(op) && numbers) || (op === K.PlusEqualsToken && strings)) {
      out.push(tokenCandidate(ctx, node, K.EqualsToken));
    }
  });
  return out;
};
