import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import { forEachRuntimeNode, nodeText, textAfter, type Candidate, type Operator } from "./common.js";

/** Methods commonly confused with each other: same receiver, similar arguments, different effect. */
const GROUPS: readonly (readonly string[])[] = [
  ["push", "unshift"],
  ["pop", "shift"],
  ["slice", "substring", "substr", "splice"],
  ["min", "max"],
  ["floor", "ceil", "round", "trunc"],
  ["indexOf", "lastIndexOf"],
  ["find", "findLast"],
  ["findIndex", "findLastIndex"],
  ["startsWith", "endsWith"],
  ["toUpperCase", "toLowerCase"],
  ["some", "every"],
  ["trim", "trimStart", "trimEnd"],
  ["padStart", "padEnd"],
  ["reduce", "reduceRight"],
  ["keys", "values", "entries"],
  ["add", "delete"],
];

const SIBLINGS = new Map<string, readonly string[]>(GROUPS.flatMap((g) => g.map((m) => [m, g.filter((x) => x !== m)] as const)));

/**
 * A method call replaced by a sibling (`push` -> `unshift`, `Math.min` -> `Math.max`, `slice` ->
 * `substr`, ...) that the receiver's type actually has, so the call still resolves.
 */
export const siblingMethod: Operator = (ctx) => {
  const out: Candidate[] = [];
  const { checker } = ctx;
  forEachRuntimeNode(ctx.sf, (node) => {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return;
    const access = node.expression;
    const siblings = SIBLINGS.get(access.name.text);
    if (!siblings) return;
    const receiver = checker.getApparentType(checker.getTypeAtLocation(access.expression));
    const start = node.getStart(ctx.sf);
    const name = access.name;
    for (const s of siblings) {
      if (!checker.getPropertyOfType(receiver, s)) continue;
      const shown = { old: nodeText(ctx, node), new: textAfter(ctx, node, name.getStart(ctx.sf), name.getEnd(), s) };
      out.push({ edit: makeEdit(ctx.path, ctx.text, name.getStart(ctx.sf), name.getEnd(), s, "sibling-method", shown, start), focus: start });
    }
  });
  return out;
};
