/**
 * The foundation end to end: `evolve run` on a copy of the bundled workspace repairs its seeded
 * defects, and every generation it commits says in its trailers exactly what `evolve eval` measures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { CLI, GIT_ENV, evolve, evolveJson, git, gitStatus, tempDir } from "./helpers.js";

interface RunJson {
  workspace: string;
  branch: string;
  initialScore: number;
  finalScore: number;
  generations: Array<{ generation: number; commit: string; score: number; tag: string; operator: string; fixed: string[] }>;
  candidates: { evaluated: number };
  stillFailing: string[];
}

describe("evolve run on the bundled textkit workspace", () => {
  const tmp = tempDir();
  const ws = path.join(tmp.dir, "textkit");
  let run: RunJson;

  beforeAll(() => {
    const init = evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    expect(init.tag).toBe("gen-0");
    run = evolveJson<RunJson>(["run", "--workspace", ws, "--seed", "1"], tmp.dir);
  }, 240_000);
  afterAll(() => tmp.cleanup());

  it("raises the score and repairs every seeded defect", () => {
    expect(run.workspace).toBe(ws);
    expect(run.branch).toBe("main");
    expect(run.finalScore).toBeGreaterThan(run.initialScore);
    expect(run.finalScore).toBe(1);
    expect(run.stillFailing).toEqual([]);
    expect(run.generations.length).toBeGreaterThanOrEqual(6);
    expect(run.generations.map((g) => g.generation)).toEqual(run.generations.map((_, i) => i + 1));
  });

  it("records one commit per accepted generation on the branch, tagged gen-N", () => {
    const subjects = git(ws, "log", "--first-parent", "--format=%s").split("\n");
    expect(subjects.length).toBe(run.generations.length + 1);
    expect(subjects.at(-1)).toMatch(/^evolve: gen 0: /);
    for (const g of run.generations) {
      expect(git(ws, "rev-parse", `${g.tag}^{commit}`)).toBe(g.commit);
      expect(git(ws, "cat-file", "-t", g.tag)).toBe("tag");
    }
    expect(git(ws, "rev-parse", "HEAD")).toBe(run.generations.at(-1)!.commit);
  });

  it("writes trailers native git reads, and each one matches what evolve eval measures", () => {
    for (const g of run.generations) {
      const trailer = (key: string) => git(ws, "log", "-1", `--format=%(trailers:key=${key},valueonly)`, g.commit);
      expect(Number(trailer("Evolve-Generation"))).toBe(g.generation);
      expect(Number(trailer("Evolve-Score"))).toBe(g.score);
      expect(trailer("Evolve-Suite-Hash")).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(trailer("Evolve-Model")).toBe("none");
      expect(trailer("Evolve-Operator")).toBe(g.operator);
      const metrics = JSON.parse(trailer("Evolve-Metrics"));
      expect(metrics.score).toBe(g.score);
      const measured = evolveJson(["eval", g.commit, "--workspace", ws, "--no-cache"], tmp.dir);
      expect(measured.cached).toBe(false);
      expect(measured.score).toBe(Number(trailer("Evolve-Score")));
      expect(Number(trailer("Evolve-Parent-Score")) + Number(trailer("Evolve-Delta"))).toBeCloseTo(g.score, 6);
    }
  });

  it("leaves a repository native git finds sound, with a clean work tree matching HEAD", () => {
    expect(gitStatus(ws, "fsck", "--strict", "--no-progress").status).toBe(0);
    expect(git(ws, "status", "--porcelain")).toBe("");
    const numbers = readFileSync(path.join(ws, "agent/tools/numbers.ts"), "utf8");
    expect(numbers).toBe(git(ws, "show", "HEAD:agent/tools/numbers.ts") + "\n");
  });

  it("keeps rejected candidates inspectable as git notes without touching the branch", () => {
    const noted = git(ws, "notes", "--ref=evolve-attempts", "list").split("\n").filter(Boolean);
    expect(noted.length).toBeGreaterThan(0);
    const [, annotated] = noted[0]!.split(" ");
    const attempts = JSON.parse(git(ws, "notes", "--ref=evolve-attempts", "show", annotated!)).attempts;
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts[0]).toMatchObject({ reason: expect.any(String), diff: expect.stringContaining("@@") });
  });

  it("never evaluates the same candidate tree twice", () => {
    const trees: string[] = [];
    for (const line of git(ws, "notes", "--ref=evolve-attempts", "list").split("\n").filter(Boolean)) {
      const [, annotated] = line.split(" ");
      const attempts = JSON.parse(git(ws, "notes", "--ref=evolve-attempts", "show", annotated!)).attempts as Array<{ tree: string; metrics: { stage: string } }>;
      for (const a of attempts) if (a.metrics.stage === "evaluate") trees.push(a.tree);
    }
    for (const g of run.generations) trees.push(git(ws, "rev-parse", `${g.commit}^{tree}`));
    expect(trees.length).toBe(run.candidates.evaluated);
    expect(new Set(trees).size).toBe(trees.length);
  });

  it("evolve log lists the generations from the trailers", () => {
    const log = evolveJson<Array<{ generation: number | null; score: number | null; commit: string }>>(["log", "--workspace", ws], tmp.dir);
    expect(log.length).toBe(run.generations.length + 1);
    expect(log[0]!.commit).toBe(run.generations.at(-1)!.commit);
    expect(log.map((e) => e.generation)).toEqual([...run.generations.map((g) => g.generation).reverse(), 0]);
  });

  it("a second run finds nothing left to do and commits nothing", () => {
    const before = git(ws, "rev-parse", "HEAD");
    const again = evolveJson<RunJson>(["run", "--workspace", ws], tmp.dir);
    expect(again.generations).toEqual([]);
    expect(git(ws, "rev-parse", "HEAD")).toBe(before);
  }, 60_000);
});

describe("evolve run refuses bad input and changes nothing", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("refuses a dirty work tree with a clear message", () => {
    const ws = path.join(tmp.dir, "dirty");
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    const file = path.join(ws, "agent/tools/text.ts");
    writeFileSync(file, readFileSync(file, "utf8") + "// my edit\n");
    const head = git(ws, "rev-parse", "HEAD");
    const r = evolve(["run", "--workspace", ws], tmp.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/uncommitted changes \(agent\/tools\/text\.ts\)/);
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
    expect(readFileSync(file, "utf8")).toMatch(/my edit/);
  });

  it("names the file and line of a broken golden test", () => {
    const ws = path.join(tmp.dir, "badyaml");
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    const file = path.join(ws, "golden-tests/text.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("      - type: regex", "      - type: regexp"));
    git(ws, "commit", "-qam", "typo in a golden test");
    const head = git(ws, "rev-parse", "HEAD");
    const r = evolve(["run", "--workspace", ws], tmp.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/golden-tests\/text\.yaml:\d+:\d+: .*type.*regexp/);
    expect(git(ws, "rev-parse", "HEAD")).toBe(head);
  });

  it("outside any workspace, creates a fresh one under ./workspaces and never commits to the surrounding repo", () => {
    const host = path.join(tmp.dir, "host");
    git(tmp.dir, "init", "-q", "-b", "main", host);
    writeFileSync(path.join(host, "README.md"), "host\n");
    git(host, "add", ".");
    git(host, "commit", "-qm", "host repo");
    const hostHead = git(host, "rev-parse", "HEAD");
    const raw = evolve(["run", "--budget", "5", "--generations", "1", "--json"], host);
    expect(raw.status, raw.stderr).toBe(0);
    // What the budget buys is said before it is spent, with a warning when it is below one round.
    expect(raw.stderr).toMatch(/budget: 5 candidates = at most 1 of 1 rounds of 32 candidates/);
    expect(raw.stderr).toMatch(/warning: the budget \(5\) is smaller than one round \(32 candidates\)/);
    const r = JSON.parse(raw.stdout) as RunJson;
    expect(r.workspace.startsWith(path.join(host, "workspaces", "textkit-"))).toBe(true);
    expect(existsSync(path.join(r.workspace, ".git"))).toBe(true);
    expect(git(host, "rev-parse", "HEAD")).toBe(hostHead);
    expect(readdirSync(path.join(host, "workspaces")).length).toBe(1);
  }, 60_000);
});

describe("Ctrl-C during evolve run", () => {
  const tmp = tempDir("evolve-sigint-");
  afterAll(() => tmp.cleanup());

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s stops between candidates: exit %i, the summary says so, nothing half-written, no lock left", async (signal, exit) => {
    const ws = path.join(tmp.dir, `textkit-${signal}`);
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    const head = git(ws, "rev-parse", "HEAD");
    const child = spawn(process.execPath, [CLI, "run", "-w", ws, "--no-progress", "-g", "20"], { env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      // Once the first round is under way (its start line printed), as a person pressing Ctrl-C would.
      if (!sent && /^Evolving /m.test(stdout)) {
        sent = true;
        setTimeout(() => child.kill(signal), 300);
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    expect(code, stderr + stdout).toBe(exit);
    expect(stderr).toMatch(new RegExp(`${signal}: stopping after the candidates in flight`));
    expect(stdout).toMatch(/stopped on request/);
    expect(gitStatus(ws, "fsck", "--strict").status).toBe(0);
    expect(git(ws, "status", "--porcelain")).toBe("");
    expect(existsSync(path.join(ws, ".git", "evolve", "lock"))).toBe(false);
    // Every generation it did commit is whole: no tag left off the branch, the tip's tag on the tip.
    expect(git(ws, "tag", "--no-merged", "HEAD", "--list", "gen-*")).toBe("");
    if (git(ws, "rev-parse", "HEAD") !== head) expect(git(ws, "tag", "--points-at", "HEAD")).toMatch(/^gen-\d+$/m);
  }, 120_000);
});
