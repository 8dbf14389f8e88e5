/**
 * A self-snapshot: a compact map of the agent's evolvable code for a model's prompt. Per file the
 * exported symbols (signature + first doc line), the full text of the functions implicated by
 * failing cases (and of the functions they call), the prompts by section and the params, fitted to
 * a token budget. Parts are ranked by relevance and the least relevant are dropped first; a function
 * is shown whole or not at all. What was left out is said at the end of the text.
 */
import { Node, type SourceFile } from "ts-morph";
import type { FileMap } from "../kernel/files.js";
import { createMemoryProject, isTypeScriptPath, toVirtual } from "../kernel/ts-project.js";
import { namedFunctions, statementLines, type NamedFunction } from "./functions.js";
import { markdownSections } from "./markdown.js";
import { exportedSymbols } from "./symbols.js";
import { charsOver4, type TokenEstimator } from "./tokens.js";

/** What the snapshot is about. */
export interface SnapshotOptions {
  /** Files the snapshot covers (the evolvable ones). */
  evolvable: (path: string) => boolean;
  /**
   * Where failing cases point: these files' exports rank first, and `functions` (names such as
   * `truncate` or `Class.method`) are shown in full. Without `functions`, every function of `files` is.
   */
  focus?: { files: string[]; functions?: string[] };
  /** Upper bound on `tokens` of the result, unless it cannot even hold the header and a one-line note (~25 tokens). */
  tokenBudget: number;
  estimateTokens?: TokenEstimator;
  /** Names the snapshot in its header, e.g. "workspace textkit @ 1a2b3c4d". */
  label?: string;
}

/** The parts that made it into the text, by id (`path#name`, `path#"heading"`, or a path). */
export interface SnapshotIncluded {
  files: string[];
  /** Functions shown in full. */
  functions: string[];
  signatures: string[];
  /** Prompt sections. */
  prompts: string[];
  params: string[];
}

export interface Snapshot {
  text: string;
  tokens: number;
  budget: number;
  included: SnapshotIncluded;
  /**
   * Parts left out for the budget, most relevant first. Bodies of functions no failing case implicates
   * are only filler and are not listed.
   */
  dropped: string[];
}

type PartKind = "function" | "signature" | "prompt" | "params";

interface Part {
  id: string;
  file: string;
  kind: PartKind;
  /** Lower is more relevant: [tier, index within tier]. */
  rank: [number, number];
  /** Position within the file when rendered. */
  line: number;
  text: string;
  /** A function part hides the signature part with this id when both are included. */
  hides?: string;
  /** Filler parts are not reported as dropped. */
  filler?: boolean;
}

// Tiers, most relevant first.
const T_FOCUS = 0;
const T_PARAMS = 1;
const T_FOCUS_SIGNATURES = 2;
const T_CALLEES = 3;
const T_PROMPTS = 4;
const T_SIGNATURES = 5;
const T_FILLER = 6;

/** The closing note names at most this many items per group. */
const NOTE_ITEMS = 4;

function listed(items: readonly string[]): string {
  const more = items.length > NOTE_ITEMS ? ` and ${items.length - NOTE_ITEMS} more` : "";
  return items.slice(0, NOTE_ITEMS).join(", ") + more;
}

/** One line saying what was left out, grouped by kind: functions and params by name, the rest counted. */
function leftOutNote(dropped: readonly Part[]): string {
  if (dropped.length === 0) return "";
  const of = (kind: PartKind) => dropped.filter((x) => x.kind === kind);
  const filesOf = (list: readonly Part[]) => listed([...new Set(list.map((x) => x.file))]);
  const groups: string[] = [];
  const fns = of("function");
  if (fns.length > 0) groups.push(`full text of ${listed(fns.map((x) => x.id))}`);
  const params = of("params");
  if (params.length > 0) groups.push(`params ${listed(params.map((x) => x.id))}`);
  const prompts = of("prompt");
  if (prompts.length > 0) groups.push(`${prompts.length} prompt section${prompts.length === 1 ? "" : "s"} of ${filesOf(prompts)}`);
  const sigs = of("signature");
  if (sigs.length > 0) groups.push(`${sigs.length} signature${sigs.length === 1 ? "" : "s"} of ${filesOf(sigs)}`);
  return `\n(Left out for the token budget: ${groups.join("; ")}.)\n`;
}

const isCode = (p: string) => isTypeScriptPath(p) && !p.endsWith(".d.ts");

function functionPart(file: string, f: NamedFunction, tier: number, index: number, filler = false): Part {
  const lines = statementLines(f.fn);
  const first = f.outer.getStartLineNumber();
  const last = f.outer.getEndLineNumber();
  const stmts = lines.length > 0 ? `; statements ${lines.map((l, i) => `${i}@L${l}`).join(" ")}` : "";
  const text = `### ${f.name} (${tier === T_FOCUS ? "implicated by failing cases; " : tier === T_CALLEES ? "called by an implicated function; " : ""}lines ${first}-${last}${stmts})\n\`\`\`ts\n${f.outer.getText(true)}\n\`\`\`\n`;
  return { id: `${file}#${f.name}`, file, kind: "function", rank: [tier, index], line: first, text, hides: `${file}#${f.name}`, filler };
}

/** Identifiers used in a function that name functions of the evolvable files (same file or imported). */
function callees(f: NamedFunction, sf: SourceFile, byName: Map<string, Array<{ file: string; f: NamedFunction }>>, file: string): Array<{ file: string; f: NamedFunction }> {
  const imported = new Set<string>();
  for (const imp of sf.getImportDeclarations()) for (const n of imp.getNamedImports()) imported.add(n.getAliasNode()?.getText() ?? n.getName());
  const out: Array<{ file: string; f: NamedFunction }> = [];
  const seen = new Set<string>();
  f.fn.forEachDescendant((node) => {
    if (!Node.isIdentifier(node)) return;
    const name = node.getText();
    if (seen.has(name) || name === f.name) return;
    seen.add(name);
    for (const target of byName.get(name) ?? []) {
      if (target.file === file || imported.has(name)) out.push(target);
    }
  });
  return out;
}

/** Build the snapshot of the evolvable files of `files`. */
export function buildSnapshot(files: FileMap, options: SnapshotOptions): Snapshot {
  if (!Number.isFinite(options.tokenBudget) || options.tokenBudget < 1) throw new Error(`buildSnapshot: tokenBudget must be a number >= 1, got ${options.tokenBudget}`);
  const estimate = options.estimateTokens ?? charsOver4;
  const paths = [...files.keys()].filter((p) => options.evolvable(p)).sort();
  const focusFiles = (options.focus?.files ?? []).filter((p) => paths.includes(p));
  const code = indexCode(files, paths.filter(isCode));
  const fileRank = (p: string): number => {
    const i = focusFiles.indexOf(p);
    return i >= 0 ? i : focusFiles.length + paths.indexOf(p);
  };
  const { parts, shown } = implicatedParts(code, focusFiles, options.focus?.functions);
  for (const [p, sf] of code.sources) {
    const tier = focusFiles.includes(p) ? T_FOCUS_SIGNATURES : T_SIGNATURES;
    exportedSymbols(sf).forEach((s, i) => {
      const doc = s.doc === null ? "" : ` // ${s.doc}`;
      parts.push({ id: `${p}#${s.name}`, file: p, kind: "signature", rank: [tier, fileRank(p) * 1000 + i], line: s.line, text: `- \`${s.signature}\`${doc}\n` });
    });
    (code.functionsOf.get(p) ?? []).forEach((f, i) => {
      if (!shown.has(`${p}#${f.name}`)) parts.push(functionPart(p, f, T_FILLER, fileRank(p) * 1000 + i, true));
    });
  }
  parts.push(...textParts(files, paths));
  parts.sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1]);
  const header = `# Snapshot of ${options.label ?? "the agent"}: ${paths.length} evolvable file${paths.length === 1 ? "" : "s"}\n`;
  return fit({ header, parts, budget: options.tokenBudget, estimate, fileRank });
}

/** The evolvable code parsed, and its named functions by file and by name. */
interface CodeIndex {
  sources: Map<string, SourceFile>;
  functionsOf: Map<string, NamedFunction[]>;
  byName: Map<string, Array<{ file: string; f: NamedFunction }>>;
}

function indexCode(files: FileMap, codePaths: readonly string[]): CodeIndex {
  // Types come from the whole tree (imports of non-evolvable files included), edits only go to evolvable ones.
  const project = codePaths.length > 0 ? createMemoryProject(files) : null;
  const sources = new Map<string, SourceFile>();
  for (const p of codePaths) {
    const sf = project?.getSourceFile(toVirtual(p));
    if (sf) sources.set(p, sf);
  }
  const functionsOf = new Map<string, NamedFunction[]>();
  const byName = new Map<string, Array<{ file: string; f: NamedFunction }>>();
  for (const [p, sf] of sources) {
    const fns = namedFunctions(sf);
    functionsOf.set(p, fns);
    for (const f of fns) {
      const list = byName.get(f.name) ?? [];
      list.push({ file: p, f });
      byName.set(f.name, list);
    }
  }
  return { sources, functionsOf, byName };
}

/**
 * The implicated functions in full: named ones wherever they are (focus files first), or all of the
 * focus files', then the functions they call. `shown` holds their ids.
 */
function implicatedParts(code: CodeIndex, focusFiles: readonly string[], focusNames: readonly string[] | undefined): { parts: Part[]; shown: Set<string> } {
  const { sources, functionsOf, byName } = code;
  const parts: Part[] = [];
  const focused: Array<{ file: string; f: NamedFunction }> = [];
  if (focusNames !== undefined) {
    for (const name of focusNames) {
      const found = (byName.get(name) ?? []).slice().sort((a, b) => Number(!focusFiles.includes(a.file)) - Number(!focusFiles.includes(b.file)));
      if (found[0]) focused.push(found[0]);
    }
  } else {
    for (const file of focusFiles) for (const f of functionsOf.get(file) ?? []) focused.push({ file, f });
  }
  const shown = new Set<string>();
  focused.forEach(({ file, f }, i) => {
    if (shown.has(`${file}#${f.name}`)) return;
    shown.add(`${file}#${f.name}`);
    parts.push(functionPart(file, f, T_FOCUS, i));
  });
  let calleeIndex = 0;
  for (const { file, f } of focused) {
    const sf = sources.get(file);
    if (!sf) continue;
    for (const callee of callees(f, sf, byName, file)) {
      if (shown.has(`${callee.file}#${callee.f.name}`)) continue;
      shown.add(`${callee.file}#${callee.f.name}`);
      parts.push(functionPart(callee.file, callee.f, T_CALLEES, calleeIndex++));
    }
  }
  return { parts, shown };
}

/** The params files whole and the prompt files by section (markdown) or whole. */
function textParts(files: FileMap, paths: readonly string[]): Part[] {
  const parts: Part[] = [];
  paths.forEach((p, i) => {
    if (isCode(p)) return;
    const text = files.get(p) as string;
    if (p.endsWith(".json")) {
      parts.push({ id: p, file: p, kind: "params", rank: [T_PARAMS, i], line: 0, text: `\`\`\`json\n${text.trimEnd()}\n\`\`\`\n` });
      return;
    }
    const sections = p.endsWith(".md") ? markdownSections(text) : [{ heading: "", level: 0, start: 0, bodyStart: 0, end: text.length }];
    sections.forEach((s, j) => {
      const body = text.slice(s.start, s.end);
      if (body.trim().length === 0) return;
      parts.push({ id: `${p}#"${s.heading}"`, file: p, kind: "prompt", rank: [T_PROMPTS, i * 1000 + j], line: j, text: `${body.trimEnd()}\n` });
    });
  });
  return parts;
}

const fileHeader = (p: string, kind: PartKind): string => (kind === "prompt" ? `## ${p} (prompt, by section)\n` : `## ${p}\n`);

/** The parts in rank order, fitted to the budget and rendered. */
function fit(input: { header: string; parts: readonly Part[]; budget: number; estimate: TokenEstimator; fileRank: (p: string) => number }): Snapshot {
  const { header, parts, budget, estimate, fileRank } = input;
  // Greedy by relevance with additive costs (a file's heading is paid by its first part), then the
  // rendered text is measured and trimmed from the least relevant end until it fits.
  const pick = (reserve: number): Part[] => {
    const chosen: Part[] = [];
    const opened = new Set<string>();
    let cost = estimate(header) + reserve;
    for (const part of parts) {
      const extra = estimate(part.text) + (opened.has(part.file) ? 0 : estimate(fileHeader(part.file, part.kind)) + 1);
      if (cost + extra > budget) continue;
      chosen.push(part);
      opened.add(part.file);
      cost += extra;
    }
    return chosen;
  };
  const first = pick(0);
  const chosen = pick(estimate(leftOutNote(droppedOf(parts, new Set(first.map((x) => x.id + x.kind)), first))));
  for (;;) {
    const text = render(header, chosen, parts, fileHeader, fileRank);
    const tokens = estimate(text);
    const fits = tokens <= budget;
    if (fits || chosen.length === 0) {
      // Nothing fits: say so in the fewest words (the full list is in `dropped`).
      const final = fits ? text : `${header}\n(Everything left out for the token budget: ${parts.filter((x) => !x.filler).length} parts.)\n`;
      if (final !== text) return { text: final, tokens: estimate(final), budget, included: { files: [], functions: [], signatures: [], prompts: [], params: [] }, dropped: droppedOf(parts, new Set(), []).map((x) => `${x.id} (${x.kind})`) };
      const ids = new Set(chosen.map((x) => x.id + x.kind));
      return {
        text,
        tokens,
        budget,
        included: {
          files: [...new Set(chosen.map((x) => x.file))].sort(),
          functions: chosen.filter((x) => x.kind === "function").map((x) => x.id),
          signatures: chosen.filter((x) => x.kind === "signature" && !chosen.some((y) => y.hides === x.id)).map((x) => x.id),
          prompts: chosen.filter((x) => x.kind === "prompt").map((x) => x.id),
          params: chosen.filter((x) => x.kind === "params").map((x) => x.id),
        },
        dropped: droppedOf(parts, ids, chosen).map((x) => `${x.id} (${x.kind})`),
      };
    }
    chosen.pop(); // the least relevant chosen part: chosen is in rank order
  }
}

/** Parts not chosen that matter: not filler, and not a signature whose function is shown in full. */
function droppedOf(parts: readonly Part[], chosenIds: ReadonlySet<string>, chosen: readonly Part[]): Part[] {
  const hidden = new Set(chosen.map((x) => x.hides).filter((h): h is string => h !== undefined));
  return parts.filter((x) => !chosenIds.has(x.id + x.kind) && !x.filler && !(x.kind === "signature" && hidden.has(x.id)));
}

function render(header: string, chosen: readonly Part[], all: readonly Part[], fileHeader: (p: string, kind: PartKind) => string, fileRank: (p: string) => number): string {
  const hidden = new Set(chosen.map((x) => x.hides).filter((h): h is string => h !== undefined));
  const byFile = new Map<string, Part[]>();
  for (const part of chosen) {
    if (part.kind === "signature" && hidden.has(part.id)) continue;
    const list = byFile.get(part.file) ?? [];
    list.push(part);
    byFile.set(part.file, list);
  }
  // Files in order of their most relevant part; within a file, signatures first, then code, by line.
  const order = [...byFile.keys()].sort((a, b) => {
    const ra = Math.min(...(byFile.get(a) as Part[]).map((x) => x.rank[0]));
    const rb = Math.min(...(byFile.get(b) as Part[]).map((x) => x.rank[0]));
    return ra - rb || fileRank(a) - fileRank(b);
  });
  let out = header;
  for (const file of order) {
    const list = (byFile.get(file) as Part[]).slice().sort((a, b) => Number(a.kind === "function") - Number(b.kind === "function") || a.line - b.line);
    out += `\n${fileHeader(file, list[0]?.kind ?? "signature")}${list.map((x) => x.text).join("")}`;
  }
  const ids = new Set(chosen.map((x) => x.id + x.kind));
  const dropped = droppedOf(all, ids, chosen);
  return out + leftOutNote(dropped);
}

