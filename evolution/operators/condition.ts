import { ts } from "ts-morph";
import { asUnaryOperand, expressionPrecedence, forEachRuntimeNode, nodeText, replaceNode, type Candidate, type Operator, type SourceContext } from "./common.js";

/** The condition of an if, loop or ternary, if the node has one. */
function conditionOf(node: ts.Node): ts.Expression | undefined {
  if (ts.isIfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) return node.expression;
  if (ts.isForStatement(node)) return node.condition;
  if (ts.isConditionalExpression(node)) return node.condition;
  return undefined;
}

/** `!c` -> `c` (dropping parentheses the new position does not need), anything else -> `!c` / `!(c)`. */
function negated(ctx: SourceContext, c: ts.Expression, inTernary: boolean): string {
  if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = c.operand;
    if (ts.isParenthesizedExpression(inner)) {
      // A ternary condition must bind tighter than `?:`; statement conditions sit in their own parentheses.
      const e = inner.expression;
      const free = inTernary ? expressionPrecedence(e) > 3 : !ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.CommaToken;
      if (free) return nodeText(ctx, e);
    }
    return nodeText(ctx, inner);
  }
  return `!${asUnaryOperand(ctx, c)}`;
}

/** Conditions of if / while / do / for / ternary negated. */
export const negateCondition: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    const c = conditionOf(node);
    if (c) out.push(replaceNode(ctx, c, negated(ctx, c, ts.isConditionalExpression(node)), "negate-condition"));
  });
  return out;
};
