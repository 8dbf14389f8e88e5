import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import {
  binaryCandidate,
  forEachRuntimeNode,
  includesNullish,
  isBigIntType,
  isNumberType,
  isStringType,
  nodeText,
  type Candidate,
  type Operator,
  type SourceContext,
} from "./common.js";

const K = ts.SyntaxKind;

const ARITHMETIC = [K.PlusToken, K.MinusToken, K.AsteriskToken, K.SlashToken, K.PercentToken];
const COMPOUND = [K.PlusEqualsToken, K.MinusEqualsToken, K.AsteriskEqualsToken, K.SlashEqualsToken, K.PercentEqualsToken];
const RELATIONAL = [K.LessThanToken, K.LessThanEqualsToken, K.GreaterThanToken, K.GreaterThanEqualsToken];
const STRICT_EQUALITY = [K.EqualsEqualsEqualsToken, K.ExclamationEqualsEqualsToken];
const LOOSE_EQUALITY = [K.EqualsEqualsToken, K.ExclamationEqualsToken];

function bothNumbers(ctx: SourceContext, node: ts.BinaryExpression): boolean {
  const { checker } = ctx;
  return isNumberType(checker, checker.getTypeAtLocation(node.left)) && isNumberType(checker, checker.getTypeAtLocation(node.right));
}

/** Both sides are numbers, bigints or strings alike: every relational operator is meaningful. */
function ordered(ctx: SourceContext, node: ts.BinaryExpression): boolean {
  const { checker } = ctx;
  const l = checker.getTypeAtLocation(node.left);
  const r = checker.getTypeAtLocation(node.right);
  const both = (f: (c: ts.TypeChecker, t: ts.Type) => boolean): boolean => f(checker, l) && f(checker, r);
  return both(isNumberType) || both(isBigIntType) || both(isStringType);
}

/** `+ - * / %` to each other (`+` only between numbers, never string concatenation), compound assignments alike, `++` <-> `--`. */
export const arithmetic: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind;
      const family = ARITHMETIC.includes(op) ? ARITHMETIC : COMPOUND.includes(op) ? COMPOUND : undefined;
      if (!family) return;
      const numeric = bothNumbers(ctx, node);
      const plus = family[0] as ts.SyntaxKind;
      if (op === plus && !numeric) return;
      for (const target of family) {
        if (target === op || (target === plus && !numeric)) continue;
        out.push(binaryCandidate(ctx, node, target, "arithmetic"));
      }
    } else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === K.PlusPlusToken || node.operator === K.MinusMinusToken)) {
      const text = nodeText(ctx, node);
      const swapped = node.operator === K.PlusPlusToken ? "--" : "++";
      const start = node.getStart(ctx.sf);
      // The token sits at the start (prefix) or the end (postfix) of the expression.
      const opStart = ts.isPrefixUnaryExpression(node) ? start : node.getEnd() - 2;
      const newText = text.slice(0, opStart - start) + swapped + text.slice(opStart - start + 2);
      out.push({ edit: makeEdit(ctx.path, ctx.text, opStart, opStart + 2, swapped, "arithmetic", { old: text, new: newText }, start), focus: start });
    }
  });
  return out;
};

/** `< <= > >= === !==` each to its siblings; equality only becomes ordering when both sides are ordered alike. */
export const comparison: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (!ts.isBinaryExpression(node)) return;
    const op = node.operatorToken.kind;
    let targets: ts.SyntaxKind[];
    if (RELATIONAL.includes(op)) targets = [...RELATIONAL, ...STRICT_EQUALITY];
    else if (STRICT_EQUALITY.includes(op)) targets = ordered(ctx, node) ? [...STRICT_EQUALITY, ...RELATIONAL] : STRICT_EQUALITY;
    else if (LOOSE_EQUALITY.includes(op)) targets = ordered(ctx, node) ? [...LOOSE_EQUALITY, ...RELATIONAL] : LOOSE_EQUALITY;
    else return;
    for (const target of targets) if (target !== op) out.push(binaryCandidate(ctx, node, target, "comparison"));
  });
  return out;
};

/** `&&` <-> `||`; `??` -> `||`; `||` -> `??` when the left side can be null or undefined. */
export const logical: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (!ts.isBinaryExpression(node)) return;
    const op = node.operatorToken.kind;
    if (op === K.AmpersandAmpersandToken) out.push(binaryCandidate(ctx, node, K.BarBarToken, "logical"));
    else if (op === K.BarBarToken) {
      out.push(binaryCandidate(ctx, node, K.AmpersandAmpersandToken, "logical"));
      if (includesNullish(ctx.checker.getTypeAtLocation(node.left))) out.push(binaryCandidate(ctx, node, K.QuestionQuestionToken, "logical"));
    } else if (op === K.QuestionQuestionToken) out.push(binaryCandidate(ctx, node, K.BarBarToken, "logical"));
  });
  return out;
};
