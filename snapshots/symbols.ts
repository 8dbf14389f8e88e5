/**
 * The exported surface of a source file, one line per symbol: its signature (declaration head
 * without the body, return types inferred where none is written) and the first line of its doc comment.
 */
import { Node, TypeFormatFlags, type JSDocableNode, type SourceFile } from "ts-morph";
import type { FunctionLike } from "./functions.js";

/** One exported symbol of a file. */
export interface SymbolLine {
  name: string;
  kind: "function" | "class" | "interface" | "type" | "enum" | "variable" | "re-export";
  /** One line, e.g. `export function truncate(text: string, max: number): string`. */
  signature: string;
  /** First line of the doc comment, or null. */
  doc: string | null;
  /** 1-based line of the declaration, for ordering. */
  line: number;
}

/** Declarations longer than this are shown by their first line only. */
const MAX_DECLARATION_CHARS = 300;

const flat = (text: string): string => text.replace(/\s+/g, " ").trim();

function docLine(node: Node): string | null {
  const docs = (node as unknown as Partial<JSDocableNode>).getJsDocs?.() ?? [];
  const text = docs[0]?.getDescription() ?? "";
  const first = text.split("\n").map((l) => l.trim()).find((l) => l.length > 0);
  return first ?? null;
}

/** Head of a function: its text up to the body, plus the inferred return type when none is written. */
export function functionHead(fn: FunctionLike, outer: Node): string {
  const body = fn.getBody();
  const start = outer.getStart();
  const end = body ? body.getStart() : fn.getEnd();
  let head = flat(outer.getSourceFile().getFullText().slice(start, end)).replace(/\s*=>\s*$/, "").replace(/\s*\{?\s*$/, "");
  if (fn.getReturnTypeNode() === undefined) {
    try {
      head += `: ${fn.getReturnType().getText(fn, TypeFormatFlags.UseAliasDefinedOutsideCurrentScope)}`;
    } catch {
      // No checker for this node (e.g. a file outside the program): the written head is still useful.
    }
  }
  return Node.isArrowFunction(fn) ? `${head} =>` : head;
}

function shortDeclaration(node: Node): string {
  const text = flat(node.getText());
  return text.length <= MAX_DECLARATION_CHARS ? text : `${text.slice(0, MAX_DECLARATION_CHARS - 1)}…`;
}

/** Exported symbols of `sf` in source order. */
export function exportedSymbols(sf: SourceFile): SymbolLine[] {
  const out: SymbolLine[] = [];
  const push = (name: string, kind: SymbolLine["kind"], signature: string, node: Node, docNode: Node = node) =>
    out.push({ name, kind, signature, doc: docLine(docNode), line: node.getStartLineNumber() });
  for (const st of sf.getStatements()) {
    if (Node.isFunctionDeclaration(st) && st.hasExportKeyword()) {
      if (!st.hasBody()) continue; // overload signature: the implementation follows
      push(st.getName() ?? "default", "function", functionHead(st, st), st);
    } else if (Node.isVariableStatement(st) && st.hasExportKeyword()) {
      for (const decl of st.getDeclarations()) {
        const init = decl.getInitializer();
        if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))) {
          push(decl.getName(), "function", functionHead(init, st), st);
        } else {
          const type = decl.getTypeNode()?.getText() ?? decl.getType().getText(decl, TypeFormatFlags.UseAliasDefinedOutsideCurrentScope);
          push(decl.getName(), "variable", flat(`export ${st.getDeclarationKind()} ${decl.getName()}: ${type}`), st);
        }
      }
    } else if (Node.isClassDeclaration(st) && st.hasExportKeyword()) {
      const members = st
        .getMethods()
        .filter((m) => m.getScope() !== "private" && m.hasBody())
        .map((m) => functionHead(m, m));
      push(st.getName() ?? "default", "class", `export class ${st.getName() ?? ""} { ${members.join("; ")} }`, st);
    } else if (Node.isInterfaceDeclaration(st) && st.hasExportKeyword()) {
      push(st.getName(), "interface", shortDeclaration(st), st);
    } else if (Node.isTypeAliasDeclaration(st) && st.hasExportKeyword()) {
      push(st.getName(), "type", shortDeclaration(st), st);
    } else if (Node.isEnumDeclaration(st) && st.hasExportKeyword()) {
      push(st.getName(), "enum", shortDeclaration(st), st);
    } else if (Node.isExportDeclaration(st)) {
      push(st.getModuleSpecifierValue() ?? "exports", "re-export", flat(st.getText()), st);
    }
  }
  return out;
}
