import { ts } from "ts-morph";
import { forEachRuntimeNode, replaceNode, type Candidate, type Operator, type SourceContext } from "./common.js";

const K = ts.SyntaxKind;

/** Decimal text for a number, without float noise such as 0.30000000000000004. */
export function formatNumber(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/** 0 -> 1; n -> n+1, n-1, n*2, n/2 (integers stay integers), -n; no-ops and repeats dropped. */
export function perturbNumber(n: number): number[] {
  const half = Number.isInteger(n) ? Math.trunc(n / 2) : n / 2;
  const raw = n === 0 ? [1, -1] : [n + 1, n - 1, n * 2, half, -n];
  const out: number[] = [];
  for (const v of raw) {
    const r = Number(formatNumber(v));
    if (Number.isFinite(r) && !Object.is(r, n) && !out.some((x) => Object.is(x, r)) && !Object.is(r, -0)) out.push(r);
  }
  return out;
}

/** String literals that name modules or properties, or are directives, are structure, not data. */
function isDataString(node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): boolean {
  const parent = node.parent;
  if (ts.isExpressionStatement(parent)) return false; // "use strict" and other directives
  if (ts.isTaggedTemplateExpression(parent)) return false; // a tag needs a template, not a string
  if (ts.isLiteralTypeNode(parent) || ts.isExternalModuleReference(parent) || ts.isImportTypeNode(parent)) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) || ts.isEnumMember(parent) || ts.isGetAccessor(parent) || ts.isSetAccessor(parent)) && parent.name === node) return false;
  if (ts.isCallExpression(parent) && (parent.expression.kind === K.ImportKeyword || (ts.isIdentifier(parent.expression) && parent.expression.text === "require"))) return false;
  return true;
}

/** "" -> " "; otherwise "", and the string without its first or its last character. */
export function perturbString(s: string): string[] {
  if (s === "") return [" "];
  const out = [""];
  if (s.length >= 2) out.push(s.slice(1), s.slice(0, -1));
  return [...new Set(out)].filter((v) => v !== s);
}

/** The node is an operand of an operator or a member access, where a bare `-n` could change the parse. */
function isOperand(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isBinaryExpression(parent)) return parent.operatorToken.kind !== K.EqualsToken && parent.operatorToken.kind !== K.CommaToken;
  if (ts.isPropertyAccessExpression(parent) || ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) return true;
  if ((ts.isElementAccessExpression(parent) || ts.isCallExpression(parent)) && parent.expression === node) return true;
  return ts.isTypeOfExpression(parent) || ts.isAwaitExpression(parent) || ts.isVoidExpression(parent) || ts.isDeleteExpression(parent);
}

function numberCandidates(ctx: SourceContext, node: ts.NumericLiteral): Candidate[] {
  if ((ts.isPropertyAssignment(node.parent) || ts.isPropertyDeclaration(node.parent) || ts.isMethodDeclaration(node.parent)) && node.parent.name === node) return [];
  const negated = ts.isPrefixUnaryExpression(node.parent) && node.parent.operator === K.MinusToken;
  const target: ts.Node = negated ? node.parent : node;
  const value = Number(node.text) * (negated ? -1 : 1);
  if (!Number.isFinite(value)) return [];
  return perturbNumber(value).map((v) => {
    // A bare negative could fuse with a neighbouring operator (`a-1` -> `a--1`) or bind
    // differently (`-2 ** x` does not parse): parenthesise it wherever it is an operand.
    const text = v < 0 && !negated && isOperand(target) ? `(${formatNumber(v)})` : formatNumber(v);
    return replaceNode(ctx, target, text, "literal");
  });
}

/** Numbers, booleans and data strings in run-time code, perturbed a little. */
export const literal: Operator = (ctx) => {
  const out: Candidate[] = [];
  forEachRuntimeNode(ctx.sf, (node) => {
    if (ts.isNumericLiteral(node)) out.push(...numberCandidates(ctx, node));
    else if (node.kind === K.TrueKeyword || node.kind === K.FalseKeyword) {
      out.push(replaceNode(ctx, node, node.kind === K.TrueKeyword ? "false" : "true", "literal"));
    } else if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && isDataString(node)) {
      for (const s of perturbString(node.text)) out.push(replaceNode(ctx, node, JSON.stringify(s), "literal"));
    }
  });
  return out;
};
