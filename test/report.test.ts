/**
 * `evolve report`: the data it assembles (pure), the command's refusals, and the page itself in a
 * real headless Chromium (Debian's package driven by playwright-core): no console errors, no network
 * request, every chart drew data points, tables sort, dark mode applies, and text from the repository
 * cannot run as script. Screenshots go to test-artifacts/.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openInteractionStore } from "../interactions/index.js";
import type { AttemptRecord } from "../ledger/index.js";
import { abFigures, reasonClass, stageOf } from "../report/data.js";
import { scriptJson } from "../report/html.js";
import { evolve, evolveJson, generation, git, ROOT, tempDir } from "./helpers.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "test-artifacts");
const HOSTILE = "</script><script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">";

function attempt(over: Partial<AttemptRecord>): AttemptRecord {
  return { generation: 1, base: "b", tree: "t", operator: "literal", proposer: "builtin", description: "d", diff: "", score: 0.5, holdout: null, reason: "rejected", metrics: {}, at: "2026-12-01T00:00:00Z", ...over };
}

describe("report data", () => {
  it("groups reasons by their words, not their figures", () => {
    expect(reasonClass("rejected: train score unchanged 0.5 -> 0.5 (needs +0.0001)")).toBe("rejected: train score unchanged N -> N (needs +N)");
    expect(reasonClass("a  b\n c")).toBe("a b c");
  });
  it("takes the stage an attempt recorded, else the reason's first word", () => {
    expect(stageOf(attempt({ metrics: { stage: "typecheck" } }))).toBe("typecheck");
    expect(stageOf(attempt({ reason: "build: syntax error" }))).toBe("build");
    expect(stageOf(attempt({ reason: "worse", score: null }))).toBe("refused");
  });
  it("reads A/B summaries from a trailer's JSON or an attempt's metrics, and nothing from junk", () => {
    expect(abFigures('{"wins":5,"losses":1,"ties":2,"p":0.2,"wilcoxonP":0.1}')).toEqual({ wins: 5, losses: 1, ties: 2, p: 0.2, wilcoxonP: 0.1 });
    expect(abFigures({ wins: 1, p: "x" })).toEqual({ wins: 1, losses: 0, ties: 0, p: null, wilcoxonP: null });
    expect(abFigures("{not json")).toBeNull();
    expect(abFigures({ other: 1 })).toBeNull();
  });
  it("embeds JSON that cannot close its script element", () => {
    const text = scriptJson({ s: HOSTILE, t: "<!-- \u2028" });
    expect(text).not.toMatch(/[<>]/);
    expect(JSON.parse(text)).toEqual({ s: HOSTILE, t: "<!-- \u2028" });
  });
});

describe("evolve report", { timeout: 180_000 }, () => {
  const tmp = tempDir("evolve-report-");
  const ws = path.join(tmp.dir, "ws");
  const out = path.join(tmp.dir, "report.html");
  afterAll(() => tmp.cleanup());

  beforeAll(async () => {
    expect(evolve(["init", ws, "--example", "textkit"], tmp.dir).status).toBe(0);
    const run = evolve(["run", "-w", ws, "-b", "40", "--seed", "1", "--no-progress"], tmp.dir);
    expect(run.status, run.stderr).toBe(0);
    const last = Number(/gen-(\d+)/.exec(git(ws, "describe", "--tags", "--match", "gen-*", "--abbrev=0"))![1]);
    // A generation whose subject and diff carry markup: the page must show it as text.
    await generation(ws, last + 1, HOSTILE, { "agent/tools/notes.ts": [["export", `// ${HOSTILE}\nexport`]] });
    plantInteractions(ws, last + 1);
  });

  it("writes one self-contained file and changes nothing in the workspace", () => {
    const before = git(ws, "status", "--porcelain");
    const r = evolveJson(["report", "-w", ws, "--out", out], tmp.dir);
    expect(r.file).toBe(out);
    const html = readFileSync(out, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import/i);
    expect(r.report.generations.length).toBeGreaterThanOrEqual(3);
    expect(r.report.rejected.total).toBeGreaterThan(0);
    expect(r.report.live.byGeneration.length).toBe(2);
    // The planted tip serves worse than its parent: an open alert and the first recommendation.
    expect(r.report.alerts.join("\n"), JSON.stringify(r.report.live.byGeneration)).toMatch(/live regression in gen \d+: error_rate/);
    expect(r.report.recommendations[0]).toMatch(/serves worse than its parent/);
    expect(git(ws, "status", "--porcelain")).toBe(before);
    // Without --out it goes under .git/evolve/, outside the work tree.
    expect(evolve(["report", "-w", ws], tmp.dir).status).toBe(0);
    expect(existsSync(path.join(ws, ".git", "evolve", "report.html"))).toBe(true);
    expect(git(ws, "status", "--porcelain")).toBe(before);
  });

  it("refuses bad flags with one line, exit 2, and writes nothing", () => {
    const snapshot = (): string => hashTree(tmp.dir);
    const before = snapshot();
    for (const [args, message] of [
      [["--out", path.join(tmp.dir, "missing", "r.html")], /^error: --out .*: the folder .*missing does not exist$/],
      [["--out", tmp.dir], /^error: --out .*: is a folder; name the HTML file to write$/],
      [["--since", "last week"], /^error: --since: "last week" is neither a duration/],
    ] as const) {
      const r = evolve(["report", "-w", ws, ...args], tmp.dir);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    const outside = evolve(["report"], path.dirname(tmp.dir));
    expect(outside.status).toBe(2);
    expect(outside.stderr).toMatch(/is not inside a workspace/);
    expect(snapshot()).toBe(before);
  });

  it.skipIf(!existsSync(CHROMIUM))("renders in headless Chromium: charts drawn, tables sort, dark mode, no script from the data", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    mkdirSync(ARTIFACTS, { recursive: true });
    try {
      for (const scheme of ["light", "dark"] as const) {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: scheme });
        const problems: string[] = [];
        page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        page.on("request", (q) => !q.url().startsWith("file:") && problems.push(`network: ${q.url()}`));
        await page.goto(pathToFileURL(out).href);
        const charts = await page.evaluate(() => (window as any).__evolveReport.charts as Array<{ id: string; points: number }>);
        expect(charts.map((c) => c.id)).toEqual(["chart-score", "chart-latency", "chart-rates", "chart-satisfaction", "chart-days-latency", "chart-days-rates"]);
        for (const c of charts) {
          expect(c.points, c.id).toBeGreaterThan(0);
          // Drawn, not just declared: the plot canvas holds painted pixels.
          const painted = await page.evaluate((id) => {
            const canvas = document.querySelector(`#${id} canvas`) as HTMLCanvasElement;
            const img = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < img.length; i += 4) if (img[i]! > 0) n++;
            return n;
          }, c.id);
          expect(painted, c.id).toBeGreaterThan(500);
        }
        expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
        expect(await page.locator("#table-generations").innerText()).toContain("</script><script>window.__pwned = 1</script>");
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(bg).toBe(scheme === "dark" ? "rgb(13, 17, 23)" : "rgb(255, 255, 255)");
        await page.screenshot({ path: path.join(ARTIFACTS, `report-${scheme}.png`), fullPage: true });
        expect(problems).toEqual([]);
        await page.close();
      }
      const page = await browser.newPage();
      await page.goto(pathToFileURL(out).href);
      const firstGen = () => page.locator("#table-generations tbody tr:first-child td:first-child").innerText();
      const newest = await firstGen();
      await page.locator("#table-generations th", { hasText: /^gen$/ }).click();
      expect(await firstGen()).toBe("0");
      await page.locator("#table-generations th", { hasText: /^gen$/ }).click();
      expect(await firstGen()).toBe(newest);
    } finally {
      await browser.close();
    }
  });
  if (!existsSync(CHROMIUM)) it.skip(`browser checks: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`, () => {});
});

/** Interactions over three days: each generation serves 40, the tip with many more errors and slower answers. */
function plantInteractions(ws: string, tip: number): void {
  const store = openInteractionStore(path.join(ws, ".git", "evolve", "interactions.sqlite"))!;
  const now = Date.now();
  const generations = [tip - 1, tip];
  try {
    store.batch(() => {
      generations.forEach((g, index) => {
        const bad = g === tip;
        const commit = git(ws, "rev-parse", `gen-${g}^{commit}`);
        for (let i = 0; i < 40; i++) {
          const at = now - (2 - index) * 86_400_000 + i * 60_000;
          const id = store.begin({ source: "ask", session: null, request: `question ${i}`, model: { provider: "ollama", name: "m", identity: "ollama:m", params: {} }, commit, generation: g, at });
          const error = i % (bad ? 2 : 10) === 0;
          const total = (bad ? 1800 : 900) + ((i * 37) % 400);
          store.complete(id, {
            status: error ? "error" : "answered", answer: error ? null : "ok", errorKind: error ? "sandbox" : null, error: error ? "a tool failed in the sandbox" : null,
            toolCalls: [], steps: 1, refusals: 0, firstTokenMs: total / 3, totalMs: total, modelMs: total - 5, tokensIn: 10, tokensOut: 20, at: at + total,
          });
          if (i % 4 === 0) store.addFeedback(id, { source: "explicit", signal: error ? "bad" : "good", rating: error ? 2 : 4 });
        }
      });
    });
  } finally {
    store.close();
  }
}

/** A hash of every file under `dir` (names and bytes), to show a refusal wrote nothing. */
function hashTree(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = statSync(p);
      h.update(p);
      if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex");
}
