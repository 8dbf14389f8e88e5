import { describe, expect, test } from "vitest";
import { ts } from "ts-morph";
import { analyse, enumerateEdits, type Analysis } from "../evolution/analyse.js";
import { applyEdits, makeEdit, OPERATOR_NAMES, type Edit, type OperatorName } from "../evolution/edits.js";
import { binaryCandidate, type SourceContext } from "../evolution/operators/common.js";
import { adjustNumber, paramEdits } from "../evolution/params.js";
import { createRng } from "../evolution/rng.js";
import { createTypeChecker } from "../evolution/typecheck.js";

const TEXT = [
  'import { clamp } from "./util.js";',
  "",
  "export function slugify(input: string, max: number): string {",
  "  const lower = input.toLowerCase();",
  '  let out = "";',
  "  for (let i = 0; i < lower.length; i++) {",
  '    const c = lower[i] ?? "";',
  '    if (c === " " || c === "_") out += "-";',
  "    else out += c;",
  "  }",
  "  const limit = clamp(max, 1, 80);",
  "  return out.slice(0, limit);",
  "}",
  "",
  "export function countWords(s: string, min?: number): number {",
  "  let n = 0;",
  '  for (const w of s.split(" ")) if (w.length > (min ?? 0)) n += 1;',
  "  return n;",
  "}",
  "",
  "export const isLong = (s: string, limit: number): boolean => s.length > limit && !s.startsWith(\"#\");",
  "",
].join("\n");

const UTIL = [
  "export function clamp(x: number, lo: number, hi: number): number {",
  "  if (x < lo) return lo;",
  "  return x > hi ? hi : x;",
  "}",
  "",
  "export function wrap(x: number, lo: number, hi: number): number {",
  "  const span = hi - lo;",
  "  return lo + ((x - lo) % span);",
  "}",
  "",
].join("\n");

/** Never evolvable: operators must leave it alone even though it is full of mutable code. */
const GUARD = "export function guard(a: number, b: number): boolean { return a < b && a * 2 > 0; }\n";

const FILES: ReadonlyMap<string, string> = new Map([
  ["agent/tools/text.ts", TEXT],
  ["agent/tools/util.ts", UTIL],
  ["agent/tools/guard.ts", GUARD],
  ["agent/params.json", '{\n  "maxLength": 40,\n  "ratio": 0.5\n}\n'],
  ["golden-tests/text.yaml", "cases: []\n"],
]);

const isEvolvable = (p: string): boolean => (p.startsWith("agent/tools/") && p !== "agent/tools/guard.ts") || p === "agent/params.json";

let cached: Analysis | undefined;
const analysis = (): Analysis => (cached ??= analyse(FILES, isEvolvable));

function editsOf(operator: OperatorName, seed = 1): Edit[] {
  return enumerateEdits(analysis(), { operators: [operator], rng: createRng(seed) });
}

/** `old -> new` pairs of the edits, as "`old` -> `new`" from their descriptions. */
function changes(edits: readonly Edit[]): string[] {
  return edits.map((e) => e.description.replace(/^\S+ [a-z-]+: /, "")).sort();
}

/** The text of `file` after one edit. */
function after(edit: Edit): string {
  return applyEdits(FILES, [edit]).get(edit.file) as string;
}

function lineAfter(edit: Edit): string {
  return (after(edit).split("\n")[edit.line - 1] ?? "").trim();
}

describe("operators on a fixture", () => {
  test("no operator touches a non-evolvable file, and every edit is a real change", () => {
    const all = enumerateEdits(analysis(), { rng: createRng(3) });
    expect(all.length).toBeGreaterThan(100);
    const files = new Set(all.map((e) => e.file));
    expect([...files].sort()).toEqual(["agent/params.json", "agent/tools/text.ts", "agent/tools/util.ts"]);
    for (const e of all) expect(FILES.get(e.file)?.slice(e.start, e.end)).not.toBe(e.text);
    // access needs nested indices or sibling properties, which this fixture lacks (test/repair-operators.test.ts has them)
    expect(new Set(all.map((e) => e.operator))).toEqual(new Set(OPERATOR_NAMES.filter((o) => o !== "access")));
  });

  test("every edit still parses (operators parenthesise what they rewrite)", () => {
    for (const e of enumerateEdits(analysis(), { rng: createRng(3) })) {
      if (!e.file.endsWith(".ts")) continue;
      const sf = ts.createSourceFile(e.file, after(e), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
      const diagnostics = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
      expect(diagnostics.map((d) => `${e.description}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`)).toEqual([]);
    }
  });

  test("descriptions carry file:line:col, operator and old -> new", () => {
    const e = editsOf("boundary").find((x) => x.description.includes("`i < lower.length` -> `i <= lower.length`"));
    expect(e).toBeDefined();
    expect(e?.description).toBe("agent/tools/text.ts:6:19 boundary: `i < lower.length` -> `i <= lower.length`");
    expect([e?.line, e?.column]).toEqual([6, 19]);
    expect(lineAfter(e as Edit)).toBe("for (let i = 0; i <= lower.length; i++) {");
  });

  test("arithmetic: + only between numbers, ++ <-> --", () => {
    const c = changes(editsOf("arithmetic"));
    expect(c).toContain("`n += 1` -> `n -= 1`");
    expect(c).toContain("`n += 1` -> `n *= 1`");
    expect(c).toContain("`i++` -> `i--`");
    // string concatenation (`out += "-"`, `out += c`) is never turned into arithmetic
    expect(c.filter((x) => x.includes("out"))).toEqual([]);
  });

  test("comparison: relational to siblings; string equality only to ordering when both sides are strings", () => {
    const c = changes(editsOf("comparison"));
    for (const op of ["<=", ">", ">=", "===", "!=="]) expect(c).toContain(`\`x < lo\` -> \`x ${op} lo\``);
    expect(c).toContain('`c === " "` -> `c !== " "`');
    expect(c).toContain('`c === " "` -> `c < " "`');
  });

  test("logical: && <-> ||, ?? <-> || where the left side can be nullish", () => {
    const c = changes(editsOf("logical"));
    expect(c).toContain('`c === " " || c === "_"` -> `c === " " && c === "_"`');
    expect(c).toContain('`lower[i] ?? ""` -> `lower[i] || ""`');
    expect(c).toContain("`min ?? 0` -> `min || 0`");
    // `c === " "` is a boolean, never nullish: no `??`
    expect(c.some((x) => x.includes('c === " " ?? '))).toBe(false);
  });

  test("boundary: < <-> <=, and numeric index / argument / operand / return sites +- 1", () => {
    const c = changes(editsOf("boundary"));
    expect(c).toContain("`x > hi` -> `x >= hi`");
    expect(c).toContain("`i` -> `i + 1`"); // lower[i]
    expect(c).toContain("`limit` -> `limit - 1`"); // out.slice(0, limit)
    expect(c).toContain("`lower.length` -> `lower.length - 1`"); // comparison operand
    expect(c).toContain("`n` -> `n + 1`"); // return n
    expect(c).toContain("`x > hi ? hi : x` -> `(x > hi ? hi : x) + 1`"); // parenthesised
    expect(c).toContain("`lo + ((x - lo) % span)` -> `lo + ((x - lo) % span) - 1`");
    // literals are the literal operator's
    expect(c.some((x) => x.startsWith("`0` ->"))).toBe(false);
  });

  test("literal: numbers, booleans, strings; module specifiers untouched", () => {
    const c = changes(editsOf("literal"));
    expect(c).toEqual(expect.arrayContaining(["`80` -> `81`", "`80` -> `79`", "`80` -> `160`", "`80` -> `40`", "`80` -> `-80`", "`0` -> `1`"]));
    expect(c).toContain('`"_"` -> `""`');
    expect(c).toContain('`""` -> `" "`');
    expect(c.some((x) => x.includes("util.js"))).toBe(false);
    // a negative operand is parenthesised, a negative argument or initialiser is not
    const texts = editsOf("literal").map((e) => lineAfter(e));
    expect(texts).toContain('for (const w of s.split(" ")) if (w.length > (min ?? (-1))) n += 1;');
    expect(texts).toContain("let n = -1;");
    expect(texts).toContain("return out.slice(-1, limit);");
  });

  test("identifier: only in-scope names of a compatible type, never declarations", () => {
    const edits = editsOf("identifier");
    const c = changes(edits);
    expect(c).toContain("`lo` -> `hi`");
    expect(c).toContain("`lo` -> `x`");
    expect(c).toContain("`limit` -> `max`");
    // strings never become numbers and vice versa
    expect(c).not.toContain("`limit` -> `out`");
    expect(c).not.toContain("`lower` -> `max`");
    // `min` is number | undefined: not assignable where a number is read
    expect(c).not.toContain("`n` -> `min`");
    for (const e of edits) {
      const node = FILES.get(e.file)?.slice(e.start, e.end) ?? "";
      expect(/^[A-Za-z_$][\w$]*$/.test(node)).toBe(true);
      const before = FILES.get(e.file)?.slice(Math.max(0, e.start - 6), e.start) ?? "";
      expect(/(const|let|function) $/.test(before)).toBe(false);
    }
  });

  test("negate-condition: if / loop / ternary conditions", () => {
    const c = changes(editsOf("negate-condition"));
    expect(c).toContain("`x < lo` -> `!(x < lo)`");
    expect(c).toContain("`i < lower.length` -> `!(i < lower.length)`");
    expect(c).toContain("`x > hi` -> `!(x > hi)`");
  });

  test("statement delete / duplicate / swap stay inside function bodies", () => {
    const del = editsOf("statement-delete");
    expect(changes(del)).toContain("`if (x < lo) return lo;` -> (delete)");
    const d = del.find((e) => e.description.includes("`if (x < lo) return lo;`")) as Edit;
    expect(after(d)).toBe(UTIL.replace("  if (x < lo) return lo;\n", ""));
    // wrap() has x and lo, so clamp's guard may be copied into it
    const copies = editsOf("statement-copy");
    const guardCopy = copies.find((e) => e.text.trim() === "if (x < lo) return lo;") as Edit;
    expect(guardCopy).toBeDefined();
    expect(after(guardCopy)).toContain("  const span = hi - lo;\n  if (x < lo) return lo;\n  return lo +");
    // declarations are kept
    expect(changes(del).some((x) => x.startsWith("`const ") || x.startsWith("`let "))).toBe(false);

    const dup = editsOf("statement-duplicate").find((e) => e.description.includes("`if (x < lo) return lo;`")) as Edit;
    expect(after(dup)).toContain("  if (x < lo) return lo;\n  if (x < lo) return lo;\n");

    const swaps = changes(editsOf("statement-swap"));
    // `limit` is declared by the first and used by the second: never swapped
    expect(swaps.some((x) => x.startsWith("`const limit"))).toBe(false);
    expect(swaps).toContain('`const lower = input.toLowerCase(); let out = "";` -> `let out = ""; const lower = input.toLowerCase();`');
  });

  test("statement-copy brings statements from other functions only when their names exist here", () => {
    const files = new Map([
      [
        "agent/tools/copy.ts",
        [
          "export function a(x: number): number {",
          "  let total = x;",
          "  total += 1;",
          "  return total;",
          "}",
          "export function b(x: number): number {",
          "  let total = 0;",
          "  total *= x;",
          "  return total;",
          "}",
          "export function c(s: string): string {",
          "  const t = s.trim();",
          "  return t;",
          "}",
          "",
        ].join("\n"),
      ],
    ]);
    const edits = enumerateEdits(analyse(files, () => true), { operators: ["statement-copy"], rng: createRng(1) });
    const text = files.get("agent/tools/copy.ts") as string;
    const copied = edits.map((e) => `${text.slice(0, e.start).split("\n").length}:${e.text.trim()}`).sort();
    // a <-> b exchange statements that only use `total` and `x`; c has neither, and a/b lack `t`
    expect(copied).toContain("3:total *= x;");
    expect(copied).toContain("8:total += 1;");
    expect(copied.some((x) => x.includes("s.trim") || x.includes("return t;"))).toBe(false);
    expect(copied.some((x) => x.startsWith("12:") || x.startsWith("13:"))).toBe(false);
  });

  test("return-value by type: numbers, booleans, strings", () => {
    const c = changes(editsOf("return-value"));
    expect(c).toContain("`out.slice(0, limit)` -> `\"\"`");
    expect(c).toContain("`out.slice(0, limit)` -> `out.slice(0, limit).trim()`");
    expect(c).toContain("`out.slice(0, limit)` -> `out.slice(0, limit).toLowerCase()`");
    expect(c).toContain("`s.length > limit && !s.startsWith(\"#\")` -> `!(s.length > limit && !s.startsWith(\"#\"))`");
  });

  test("return-value: null only where the declared return type admits it; [] for arrays", () => {
    const files = new Map([
      [
        "agent/tools/r.ts",
        "export function f(xs: string[]): string[] | null { return xs.filter((x) => x); }\nexport function g(xs: number[]) { return xs.map((x) => x * 2); }\n",
      ],
    ]);
    const c = changes(enumerateEdits(analyse(files, () => true), { operators: ["return-value"], rng: createRng(1) }));
    expect(c).toContain("`xs.filter((x) => x)` -> `[]`");
    expect(c).toContain("`xs.filter((x) => x)` -> `null`");
    expect(c).toContain("`xs.map((x) => x * 2)` -> `[]`");
    expect(c).not.toContain("`xs.map((x) => x * 2)` -> `null`");
  });

  test("param-adjust: each number of agent/params.json, integers stay integers", () => {
    const c = changes(editsOf("param-adjust"));
    expect(c).toEqual(
      [
        "`maxLength = 40` -> `maxLength = 41`",
        "`maxLength = 40` -> `maxLength = 39`",
        "`maxLength = 40` -> `maxLength = 80`",
        "`maxLength = 40` -> `maxLength = 20`",
        "`maxLength = 40` -> `maxLength = 44`",
        "`maxLength = 40` -> `maxLength = 36`",
        "`ratio = 0.5` -> `ratio = 1.5`",
        "`ratio = 0.5` -> `ratio = -0.5`",
        "`ratio = 0.5` -> `ratio = 1`",
        "`ratio = 0.5` -> `ratio = 0.25`",
        "`ratio = 0.5` -> `ratio = 0.55`",
        "`ratio = 0.5` -> `ratio = 0.45`",
      ].sort(),
    );
    const e = editsOf("param-adjust").find((x) => x.text === "41") as Edit;
    expect(JSON.parse(after(e))).toEqual({ maxLength: 41, ratio: 0.5 });
    expect([e.line, e.column]).toEqual([2, 16]);
  });

  test("adjustNumber and invalid params JSON", () => {
    expect(adjustNumber(3)).toEqual([4, 2, 6]); // round(1.5) = 2 repeats, round(3.3) = round(2.7) = 3 is a no-op
    expect(adjustNumber(40)).toEqual([41, 39, 80, 20, 44, 36]);
    expect(adjustNumber(0)).toEqual([1, -1]);
    expect(() => paramEdits("agent/params.json", '{\n  "a": 1,\n  "b": \n}')).toThrow(/^agent\/params\.json:4:1: invalid JSON \(ValueExpected\)/);
  });
});

describe("operator replacement keeps the tree", () => {
  /** The expression with every binary and unary operation parenthesised: two texts with equal trees print alike. */
  function shape(node: ts.Node, sf: ts.SourceFile): string {
    if (ts.isParenthesizedExpression(node)) return shape(node.expression, sf);
    if (ts.isBinaryExpression(node)) return `(${shape(node.left, sf)} ${node.operatorToken.getText(sf)} ${shape(node.right, sf)})`;
    if (ts.isPrefixUnaryExpression(node)) return `(${ts.tokenToString(node.operator)}${shape(node.operand, sf)})`;
    if (ts.isCallExpression(node)) return `${shape(node.expression, sf)}(${node.arguments.map((a) => shape(a, sf)).join(", ")})`;
    if (ts.isConditionalExpression(node)) return `(${shape(node.condition, sf)} ? ${shape(node.whenTrue, sf)} : ${shape(node.whenFalse, sf)})`;
    return node.getText(sf);
  }

  const parse = (text: string): ts.SourceFile => ts.createSourceFile("x.ts", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const expressionOf = (sf: ts.SourceFile): ts.Expression => (sf.statements[0] as ts.ExpressionStatement).expression;

  /** `??` beside an unparenthesised `&&`/`||` is a syntax error TypeScript reports late: refuse it here. */
  function mixesNullish(node: ts.Node): boolean {
    let bad = false;
    const isShort = (k: ts.SyntaxKind): boolean => k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken;
    const walk = (n: ts.Node): void => {
      if (ts.isBinaryExpression(n)) {
        const k = n.operatorToken.kind;
        for (const side of [n.left, n.right]) {
          if (!ts.isBinaryExpression(side)) continue;
          const j = side.operatorToken.kind;
          if ((k === ts.SyntaxKind.QuestionQuestionToken && isShort(j)) || (isShort(k) && j === ts.SyntaxKind.QuestionQuestionToken)) bad = true;
        }
      }
      ts.forEachChild(n, walk);
    };
    walk(node);
    return bad;
  }

  const EXPRESSIONS = ["a + b * c", "a * b + c", "a - b - c", "a - (b - c)", "a / b % c", "a + b < c - d", "a < b === c < d", "a && b || c", "a || b && c", "a ?? b", "(a || b) ?? c", "a ** b * c", "x = a + b", "f(a + b, c * d)", "k ? a + b : c - d", "a == b != c", "-a * b"];
  const K = ts.SyntaxKind;
  const TARGETS = [K.PlusToken, K.MinusToken, K.AsteriskToken, K.SlashToken, K.PercentToken, K.LessThanToken, K.LessThanEqualsToken, K.EqualsEqualsEqualsToken, K.ExclamationEqualsEqualsToken, K.AmpersandAmpersandToken, K.BarBarToken, K.QuestionQuestionToken];

  test.each(EXPRESSIONS)("%s", (expression) => {
    const sf = parse(`${expression};`);
    const ctx = { path: "x.ts", text: sf.text, sf, checker: undefined as never } satisfies SourceContext;
    const binaries: ts.BinaryExpression[] = [];
    const collect = (n: ts.Node): void => {
      if (ts.isBinaryExpression(n) && TARGETS.concat(K.AsteriskAsteriskToken, K.EqualsEqualsToken, K.ExclamationEqualsToken).includes(n.operatorToken.kind)) binaries.push(n);
      ts.forEachChild(n, collect);
    };
    collect(sf);
    expect(binaries.length).toBeGreaterThan(0);
    for (const node of binaries) {
      for (const op of TARGETS) {
        if (op === node.operatorToken.kind) continue;
        const { edit } = binaryCandidate(ctx, node, op, "arithmetic");
        const text = sf.text.slice(0, edit.start) + edit.text + sf.text.slice(edit.end);
        // expected: the same tree with this one operator replaced
        const original = node.operatorToken;
        const expected = shape(expressionOf(sf), sf).replace(
          `${shape(node, sf)}`,
          `(${shape(node.left, sf)} ${ts.tokenToString(op)} ${shape(node.right, sf)})`,
        );
        expect(original.kind).not.toBe(op);
        const next = parse(text);
        expect(shape(expressionOf(next), next), `${expression}: ${text}`).toBe(expected);
        expect(mixesNullish(next), text).toBe(false);
      }
    }
  });
});

describe("enumerateEdits ordering", () => {
  test("deterministic for a seed; another seed gives another order of the same set", () => {
    const a = enumerateEdits(analysis(), { rng: createRng(42) });
    const b = enumerateEdits(analysis(), { rng: createRng(42) });
    const c = enumerateEdits(analysis(), { rng: createRng(43) });
    expect(b).toEqual(a);
    expect(c.map((e) => e.description)).not.toEqual(a.map((e) => e.description));
    expect(new Set(c.map((e) => e.description))).toEqual(new Set(a.map((e) => e.description)));
  });

  test("most suspicious first, ties in seeded order", () => {
    // Weight by line: util.ts line 2 is hot, the rest of util.ts lukewarm, everything else cold.
    const tier = (file: string, line: number): number => (file === "agent/tools/util.ts" ? (line === 2 ? 1 : 0.5) : 0);
    const lineOf = (file: string, offset: number): number => (FILES.get(file) ?? "").slice(0, offset).split("\n").length;
    const weight = (file: string, offset: number): number => tier(file, lineOf(file, offset));
    const edits = enumerateEdits(analysis(), { weight, rng: createRng(7) });
    const ws = edits.map((e) => tier(e.file, e.line));
    const firstHalf = ws.findIndex((w) => w < 1);
    const firstZero = ws.findIndex((w) => w === 0);
    expect(firstHalf).toBeGreaterThan(5);
    expect(ws.slice(0, firstHalf).every((w) => w === 1)).toBe(true);
    expect(ws.slice(firstHalf, firstZero).every((w) => w === 0.5)).toBe(true);
    expect(ws.slice(firstZero).every((w) => w === 0)).toBe(true);
    // inside the top tier the order still comes from the rng
    const again = enumerateEdits(analysis(), { weight, rng: createRng(8) });
    expect(again.slice(0, firstHalf).map((e) => e.description)).not.toEqual(edits.slice(0, firstHalf).map((e) => e.description));
    expect(new Set(again.slice(0, firstHalf).map((e) => e.description))).toEqual(new Set(edits.slice(0, firstHalf).map((e) => e.description)));
  });

  test("an analysis sharing a type checker's base program enumerates the same edits", () => {
    const checker = createTypeChecker(FILES);
    const shared = analyse(FILES, isEvolvable, { program: checker.program() });
    expect(enumerateEdits(shared, { rng: createRng(5) })).toEqual(enumerateEdits(analysis(), { rng: createRng(5) }));
    // and checking candidates afterwards leaves the shared program (and the analysis) intact
    const first = enumerateEdits(shared, { operators: ["boundary"], rng: createRng(5) })[0] as Edit;
    expect(checker.check(applyEdits(FILES, [first]), [first.file]).ok).toBe(true);
    expect(checker.baseDiagnostics()).toEqual([]);
    const other = new Map(FILES).set("agent/tools/util.ts", "export const clamp = 1;\n");
    expect(() => analyse(other, isEvolvable, { program: checker.program() })).toThrow(/agent\/tools\/util\.ts: the program given was built from another version/);
  });

  test("unknown operator names are refused", () => {
    expect(() => enumerateEdits(analysis(), { operators: ["typo" as OperatorName], rng: createRng(1) })).toThrow(/unknown operator "typo"/);
  });
});

describe("applyEdits", () => {
  const base = new Map([["f.ts", "const a = 1 + 2;\nconst b = a * 3;\n"]]);
  const text = base.get("f.ts") as string;
  const edit = (start: number, end: number, t: string): Edit => makeEdit("f.ts", text, start, end, t, "arithmetic");

  test("several edits in one file are applied against base offsets; other files kept", () => {
    const files = new Map([...base, ["g.ts", "x"]]);
    const plus = text.indexOf("+");
    const times = text.indexOf("*");
    const out = applyEdits(files, [edit(plus, plus + 1, "-"), edit(times, times + 1, "/"), edit(0, 0, "// hi\n")]);
    expect(out.get("f.ts")).toBe("// hi\nconst a = 1 - 2;\nconst b = a / 3;\n");
    expect(out.get("g.ts")).toBe("x");
    expect(files.get("f.ts")).toBe(text); // input untouched
  });

  test("round trip: applying the inverse edit restores the base", () => {
    const plus = text.indexOf("1 + 2");
    const forward = applyEdits(base, [edit(plus, plus + 5, "(1 - 2) * 10")]);
    const changed = forward.get("f.ts") as string;
    const back = applyEdits(forward, [makeEdit("f.ts", changed, plus, plus + "(1 - 2) * 10".length, "1 + 2", "arithmetic")]);
    expect(back.get("f.ts")).toBe(text);
  });

  test("overlapping edits, same-point insertions and bad ranges are refused", () => {
    expect(() => applyEdits(base, [edit(6, 12, "x"), edit(10, 14, "y")])).toThrow(/f\.ts: overlapping edits \[6, 12\).*\[10, 14\)/);
    expect(() => applyEdits(base, [edit(6, 6, "x"), edit(6, 6, "y")])).toThrow(/overlapping/);
    expect(() => applyEdits(base, [edit(6, 8, "x"), edit(8, 10, "y")])).not.toThrow();
    expect(() => applyEdits(base, [edit(5, 500, "x")])).toThrow(/f\.ts: range \[5, 500\) outside the file/);
    expect(() => applyEdits(base, [{ ...edit(0, 1, "x"), file: "missing.ts" }])).toThrow(/missing\.ts: no such file/);
  });
});

describe("rng", () => {
  test("same seed, same stream; shuffle is a permutation and leaves its input alone", () => {
    const a = createRng(5);
    const b = createRng(5);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(createRng("run-1").next()).toBe(createRng("run-1").next());
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = createRng(9).shuffle(input);
    expect([...shuffled].sort()).toEqual(input);
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(shuffled).toEqual(createRng(9).shuffle(input));
  });
});
