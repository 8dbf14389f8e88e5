import { ts } from "ts-morph";
import { makeEdit } from "../edits.js";
import { isDeclarationStatement, isJump, lineIndent, nodeText, statementLists, type Candidate, type Operator, type SourceContext, type StatementList } from "./common.js";
import { insertCandidate, requirements } from "./statements.js";

/** Renamed versions of one statement at most, and candidates per function at most. */
const MAX_VARIANTS = 10;
const MAX_PER_FUNCTION = 3000;

/** A value declared in the function (parameter or local variable), with its widened type. */
interface Local {
  name: string;
  symbol: ts.Symbol;
  type: ts.Type;
  /** Offset from which the name may be read (after its declaration). */
  from: number;
}

function localsOf(ctx: SourceContext, owner: ts.Node): Local[] {
  const out: Local[] = [];
  const { checker } = ctx;
  const add = (name: ts.BindingName, from: number): void => {
    if (!ts.isIdentifier(name)) return;
    const symbol = checker.getSymbolAtLocation(name);
    if (symbol) out.push({ name: name.text, symbol, type: checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(name)), from });
  };
  const walk = (n: ts.Node): void => {
    if (ts.isParameter(n)) add(n.name, owner.getStart(ctx.sf));
    else if (ts.isVariableDeclaration(n)) add(n.name, n.getEnd());
    ts.forEachChild(n, walk);
  };
  ts.forEachChild(owner, walk);
  return out;
}

/** The identifiers of `s` that read or write one of the function's locals declared outside `s`. */
function usesOf(ctx: SourceContext, s: ts.Statement, locals: readonly Local[]): Map<Local, ts.Identifier[]> {
  const bySymbol = new Map(locals.map((l) => [l.symbol, l] as const));
  const uses = new Map<Local, ts.Identifier[]>();
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const local = bySymbol.get(ctx.checker.getSymbolAtLocation(n) as ts.Symbol);
      if (local && !(local.from > s.getStart(ctx.sf) && local.from <= s.getEnd())) uses.set(local, [...(uses.get(local) ?? []), n]);
    }
    ts.forEachChild(n, walk);
  };
  walk(s);
  return uses;
}

function sameType(checker: ts.TypeChecker, a: ts.Type, b: ts.Type): boolean {
  return checker.isTypeAssignableTo(a, b) && checker.isTypeAssignableTo(b, a);
}

/** The statement's text with some locals renamed, and the locals the result needs; the original first. */
function variants(ctx: SourceContext, s: ts.Statement, uses: Map<Local, ts.Identifier[]>, locals: readonly Local[]): { text: string; needs: Local[] }[] {
  const used = [...uses.keys()];
  const alternatives = used.map((u) => locals.filter((l) => l.name !== u.name && !used.some((x) => x.name === l.name) && sameType(ctx.checker, l.type, u.type)));
  const renamings: Map<Local, Local>[] = [new Map()];
  used.forEach((u, i) => alternatives[i]!.forEach((a) => renamings.push(new Map([[u, a]]))));
  for (let i = 0; i < used.length; i++) {
    for (let j = i + 1; j < used.length; j++) {
      for (const a of alternatives[i]!) for (const b of alternatives[j]!) if (a.name !== b.name) renamings.push(new Map([[used[i]!, a], [used[j]!, b]]));
    }
  }
  const start = s.getStart(ctx.sf);
  return renamings.slice(0, MAX_VARIANTS).map((r) => {
    const spots = [...r].flatMap(([from, to]) => (uses.get(from) ?? []).map((id) => ({ at: id.getStart(ctx.sf) - start, end: id.getEnd() - start, name: to.name })));
    let text = nodeText(ctx, s);
    for (const spot of spots.sort((x, y) => y.at - x.at)) text = text.slice(0, spot.at) + spot.name + text.slice(spot.end);
    return { text, needs: used.map((u) => r.get(u) ?? u) };
  });
}

/** Where a statement may go: after each statement of the function's lists (not after a jump), and first in each list. */
function insertionPoints(ctx: SourceContext, lists: readonly StatementList[]): { at: number; make: (text: string) => Candidate; scope: ts.Node; near: string[] }[] {
  const out: ReturnType<typeof insertionPoints> = [];
  for (const list of lists) {
    const first = list.statements[0];
    if (!first) continue;
    const scope = first.parent;
    const { lineStart, indent } = lineIndent(ctx.text, first.getStart(ctx.sf));
    const start = first.getStart(ctx.sf);
    if (ctx.text.slice(lineStart, start).trim() === "") {
      out.push({ at: lineStart, scope, near: [nodeText(ctx, first)], make: (text) => ({ edit: makeEdit(ctx.path, ctx.text, lineStart, lineStart, `${indent}${text}\n`, "statement-insert", { old: "", new: text }, start), focus: start }) });
    }
    list.statements.forEach((d, i) => {
      if (isJump(d) || ts.isEmptyStatement(d)) return;
      const next = list.statements[i + 1];
      out.push({ at: d.getEnd(), scope, near: [nodeText(ctx, d), next ? nodeText(ctx, next) : ""], make: (text) => insertCandidate(ctx, d, text, "statement-insert") });
    });
  }
  return out;
}

/**
 * A statement of a function inserted elsewhere in the same function, as written or with one or two
 * of its locals renamed to others of the same type that are declared (and in scope) at the new
 * place: `while (i < a.length) ...` can become the missing `while (j < b.length) ...`.
 */
export const statementInsert: Operator = (ctx) => {
  const out: Candidate[] = [];
  const byOwner = new Map<ts.Node, StatementList[]>();
  for (const list of statementLists(ctx.sf)) byOwner.set(list.owner, [...(byOwner.get(list.owner) ?? []), list]);
  for (const [owner, lists] of byOwner) {
    const locals = localsOf(ctx, owner);
    const points = insertionPoints(ctx, lists);
    const inScope = new Map<ts.Node, Set<string>>();
    const scopeOf = (n: ts.Node): Set<string> => {
      let names = inScope.get(n);
      if (!names) inScope.set(n, (names = new Set(ctx.checker.getSymbolsInScope(n, ts.SymbolFlags.Value).map((x) => x.getName()))));
      return names;
    };
    let count = 0;
    for (const s of lists.flatMap((l) => l.statements)) {
      if (isDeclarationStatement(s) || ts.isEmptyStatement(s) || requirements(s).escapes) continue;
      for (const v of variants(ctx, s, usesOf(ctx, s, locals), locals)) {
        for (const p of points) {
          if (p.near.includes(v.text) || !v.needs.every((l) => l.from <= p.at && scopeOf(p.scope).has(l.name))) continue;
          if (p.at > s.getStart(ctx.sf) && p.at < s.getEnd()) continue; // not inside itself
          if (count++ >= MAX_PER_FUNCTION) break;
          out.push(p.make(v.text));
        }
      }
    }
  }
  return out;
};
