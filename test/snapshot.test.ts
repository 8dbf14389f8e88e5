/**
 * Self-snapshots of the bundled textkit workspace (its files read into a FileMap) and `evolve
 * snapshot` on a real workspace made by `evolve init`.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildSnapshot } from "../snapshots/snapshot.js";
import { markdownSections } from "../snapshots/markdown.js";
import { evolve, evolveJson, git, ROOT, tempDir } from "./helpers.js";
import { exampleFiles } from "../workspace/init.js";


const files = exampleFiles("textkit");
const evolvable = (p: string) => p.startsWith("agent/");
const TRUNCATE = files.get("agent/tools/text.ts")!.match(/\/\*\* A preview[\s\S]*?\n}\n/)![0].trimEnd();

describe("buildSnapshot", () => {
  it("with a large budget shows every file: signatures, implicated functions in full, params and prompts", () => {
    const s = buildSnapshot(files, { evolvable, tokenBudget: 5000, focus: { files: ["agent/tools/text.ts"], functions: ["truncate"] } });
    expect(s.tokens).toBeLessThanOrEqual(5000);
    expect(s.tokens).toBe(Math.ceil(s.text.length / 4));
    expect(s.dropped).toEqual([]);
    expect(s.text).toContain(TRUNCATE);
    expect(s.text).toContain("### truncate (implicated by failing cases; lines 15-21; statements 0@L16 1@L19 2@L20)");
    expect(s.text).toContain('"maxResults": 6');
    expect(s.text).toContain("You are a notes assistant.");
    expect(s.text).toContain("export interface Note { title: string; body: string; tags: string[]; }");
    expect(s.included.files).toEqual(["agent/params.json", "agent/prompts/system.md", "agent/tools/notes.ts", "agent/tools/numbers.ts", "agent/tools/text.ts"]);
    expect(s.included.functions[0]).toBe("agent/tools/text.ts#truncate");
    // Nothing outside the evolvable files.
    expect(s.text).not.toContain("golden-tests");
    expect(s.text).not.toContain("evolve.config.yaml");
  });

  it("shows signatures with the first doc line when the bodies do not fit", () => {
    const s = buildSnapshot(files, { evolvable, tokenBudget: 700, focus: { files: ["agent/tools/numbers.ts"], functions: ["median"] } });
    expect(s.text).toContain("- `export function slugify(title: string): string` // A URL- and filename-safe slug: lowercase ASCII words joined by single hyphens.");
    expect(s.included.functions).toContain("agent/tools/numbers.ts#median");
    expect(s.tokens).toBeLessThanOrEqual(700);
  });

  it("respects every budget, keeps implicated functions whole or leaves them out, and says what it left out", () => {
    const focus = { files: ["agent/tools/text.ts", "agent/tools/numbers.ts"], functions: ["truncate", "median"] };
    const median = files.get("agent/tools/numbers.ts")!.match(/\/\*\* The median[\s\S]*?\n}\n/)![0].trimEnd();
    let sawPartial = false;
    for (const budget of [60, 100, 150, 200, 260, 320, 400, 600, 900, 1500]) {
      const s = buildSnapshot(files, { evolvable, tokenBudget: budget, focus });
      expect(s.tokens, `budget ${budget}`).toBeLessThanOrEqual(budget);
      for (const [name, whole] of [["truncate", TRUNCATE], ["median", median]] as const) {
        const id = `agent/tools/${name === "truncate" ? "text" : "numbers"}.ts#${name}`;
        if (s.included.functions.includes(id)) expect(s.text).toContain(whole);
        else {
          expect(s.text).not.toContain(whole.split("\n")[2]!); // not even a piece of its body
          expect(s.dropped).toContain(`${id} (function)`);
          if (!s.text.includes("Everything left out")) expect(s.text).toContain(id); // named in the closing note
        }
      }
      if (s.dropped.length > 0) {
        sawPartial = true;
        expect(s.text).toMatch(/\((Left out|Everything left out) for the token budget: .*\.\)\n$/);
      }
    }
    expect(sawPartial).toBe(true);
    const tiny = buildSnapshot(files, { evolvable, tokenBudget: 30, focus });
    expect(tiny.tokens).toBeLessThanOrEqual(30);
    expect(tiny.text).toContain("Everything left out for the token budget");
  });

  it("drops the least relevant parts first: other files' signatures go before the implicated function", () => {
    const s = buildSnapshot(files, { evolvable, tokenBudget: 260, focus: { files: ["agent/tools/text.ts"], functions: ["truncate"] } });
    expect(s.included.functions).toEqual(["agent/tools/text.ts#truncate"]);
    expect(s.dropped.some((d) => d.startsWith("agent/tools/notes.ts#"))).toBe(true);
    expect(s.text).toMatch(/\d+ signatures? of .*agent\/tools\/notes\.ts/);
  });

  it("includes the functions an implicated function calls", () => {
    const s = buildSnapshot(files, { evolvable, tokenBudget: 5000, focus: { files: ["agent/tools/notes.ts"], functions: ["searchNotes"] } });
    expect(s.text).toMatch(/### relevance \(called by an implicated function; /);
    expect(s.text).toMatch(/### slugify \(called by an implicated function; /);
  });

  it("refuses a budget that is not a positive number", () => {
    expect(() => buildSnapshot(files, { evolvable, tokenBudget: 0 })).toThrow(/tokenBudget must be a number >= 1, got 0/);
  });

  it("splits markdown into sections by heading, ignoring headings in code fences", () => {
    const text = "intro\n# One\na\n```\n# not a heading\n```\n## Two ##\nb\n";
    expect(markdownSections(text).map((s) => [s.heading, s.level, text.slice(s.bodyStart, s.end)])).toEqual([
      ["", 0, "intro\n"],
      ["One", 1, "a\n```\n# not a heading\n```\n"],
      ["Two", 2, "b\n"],
    ]);
  });
});

describe("evolve snapshot", () => {
  const { dir, cleanup } = tempDir("evolve-snapshot-");
  afterAll(cleanup);

  it("prints the snapshot and writes it under snapshots/<commit>.md, which git ignores", () => {
    const ws = path.join(dir, "ws");
    expect(evolve(["init", ws, "--example", "textkit"], dir).status).toBe(0);
    const head = git(ws, "rev-parse", "HEAD");
    const r = evolve(["snapshot", "--budget", "400"], ws);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("# Snapshot of workspace textkit @ " + head.slice(0, 10));
    const file = path.join(ws, "snapshots", `${head}.md`);
    expect(readFileSync(file, "utf8")).toBe(r.stdout.slice(0, readFileSync(file, "utf8").length));
    expect(git(ws, "status", "--porcelain")).toBe("");
    const j = evolveJson(["snapshot", "--budget", "300"], ws);
    expect(j.commit).toBe(head);
    expect(j.tokens).toBeLessThanOrEqual(300);
    expect(j.file).toBe(file);
  });

  it("--target snapshots another TypeScript project", () => {
    const target = path.join(ROOT, "snapshots");
    const ws = path.join(dir, "ws");
    const j = evolveJson(["snapshot", "--target", target, "--workspace", ws, "--budget", "3000"], dir);
    expect(j.text).toContain("## markdown.ts");
    expect(j.text).toContain("export function markdownSections(text: string): MarkdownSection[]");
    expect(existsSync(j.file)).toBe(true);
    expect(path.dirname(j.file)).toBe(path.join(ws, "snapshots"));
  });
});
