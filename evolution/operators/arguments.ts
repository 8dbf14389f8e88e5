import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import { forEachRuntimeNode, isAnyLike, nodeText, textAfter, type Candidate, type Operator, type SourceContext } from "./common.js";

/** Pairs of arguments considered per call: calls rarely have more, and pairs grow quadratically. */
const MAX_ARGS = 5;

function swappable(ctx: SourceContext, a: ts.Expression, b: ts.Expression): boolean {
  const { checker } = ctx;
  if (ts.isSpreadElement(a) || ts.isSpreadElement(b)) return false;
  const ta = checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(a));
  const tb = checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(b));
  if (isAnyLike(ta) || isAnyLike(tb)) return false;
  return checker.isTypeAssignableTo(ta, tb) && checker.isTypeAssignableTo(tb, ta);
}

/** Two arguments of one call exchanged (`gcd(a % b, b)` -> `gcd(b, a % b)`), when their types are interchangeable. */
export const callArguments: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (!ts.isCallExpression(node) && !ts.isNewExpression(node)) return;
    const args = node.arguments ?? ts.factory.createNodeArray();
    if (args.length < 2 || args.length > MAX_ARGS) return;
    for (let i = 0; i < args.length; i++) {
      for (let j = i + 1; j < args.length; j++) {
        const a = args[i]!;
        const b = args[j]!;
        const aText = nodeText(ctx, a);
        const bText = nodeText(ctx, b);
        if (aText === bText || !swappable(ctx, a, b)) continue;
        const start = a.getStart(ctx.sf);
        const between = ctx.text.slice(a.getEnd(), b.getStart(ctx.sf));
        const text = `${bText}${between}${aText}`;
        const shown = { old: nodeText(ctx, node), new: textAfter(ctx, node, start, b.getEnd(), text) };
        out.push({ edit: makeEdit(ctx.path, ctx.text, start, b.getEnd(), text, "call-arguments", shown, node.getStart(ctx.sf)), focus: node.getStart(ctx.sf) });
      }
    }
  });
  return out;
};
