/** The command line around the loop: init, eval (table, JSON, bisect exit codes), log, usage errors. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { CLI, GIT_ENV, evolve, evolveJson, git, gitStatus, tempDir } from "./helpers.js";

describe("evolve init", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("scaffolds an empty workspace whose golden test passes, as a git repo with gen-0 tagged", () => {
    const ws = path.join(tmp.dir, "blank");
    const r = evolveJson(["init", ws], tmp.dir);
    expect(r.tag).toBe("gen-0");
    expect(git(ws, "rev-parse", "gen-0^{commit}")).toBe(r.commit);
    expect(git(ws, "log", "-1", "--format=%(trailers:key=Evolve-Generation,valueonly)")).toBe("0");
    expect(git(ws, "ls-files").split("\n")).toEqual(expect.arrayContaining(["evolve.config.yaml", "agent/tools/greet.ts", "golden-tests/greet.yaml", "agent/prompts/system.md", "agent/params.json"]));
    expect(gitStatus(ws, "fsck", "--strict").status).toBe(0);
    const m = evolveJson(["eval", "--workspace", ws], tmp.dir);
    expect(m.score).toBe(1);
    expect(m.passed).toBe(1);
  });

  it("refuses an example into a non-empty directory and an unknown example, changing nothing", () => {
    const full = path.join(tmp.dir, "full");
    mkdirSync(full);
    writeFileSync(path.join(full, "keep.txt"), "mine\n");
    const r = evolve(["init", full, "--example", "textkit"], tmp.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is not empty: --example needs a new or empty folder/);
    expect(readFileSync(path.join(full, "keep.txt"), "utf8")).toBe("mine\n");
    const u = evolve(["init", path.join(tmp.dir, "u"), "--example", "nope"], tmp.dir);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/no bundled example named "nope" \(bundled: [a-z, ]*textkit[a-z, ]*\)/);
  });

  it("lists the bundled examples", () => {
    expect(evolveJson(["init", "--list-examples"], tmp.dir).examples).toContain("textkit");
  });
});

describe("evolve eval", () => {
  const tmp = tempDir();
  const ws = path.join(tmp.dir, "textkit");
  beforeAll(() => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it("prints a per-case table and the score", () => {
    const r = evolve(["eval"], ws);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+truncate-long\s+train/);
    expect(r.stdout).toMatch(/pass\s+slugify-basic\s+train/);
    expect(r.stdout).toMatch(/score 0\.5625, holdout 0\.1429; 14\/28 pass/);
  });

  it("--json gives the measured score, cached on the second call for the same tree and suite", () => {
    const a = evolveJson(["eval", "gen-0"], ws);
    const b = evolveJson(["eval", "gen-0"], ws);
    expect(a.score).toBe(0.5625);
    expect(b.score).toBe(a.score);
    expect(b.cached).toBe(true);
    expect(a.cases).toHaveLength(28);
    expect(a.suiteHash).toMatch(/^sha256:/);
  });

  it("--bisect answers git bisect run: 0 good, 1 bad, 125 cannot measure", () => {
    expect(evolve(["eval", "--bisect", "--case", "slugify-basic"], ws).status).toBe(0);
    expect(evolve(["eval", "--bisect", "--case", "truncate-long"], ws).status).toBe(1);
    expect(evolve(["eval", "--bisect", "--metric", "score<0.9"], ws).status).toBe(1);
    expect(evolve(["eval", "--bisect", "--metric", "score<0.5"], ws).status).toBe(0);
    // A commit whose tools do not parse cannot be measured: skip, not bad.
    const file = path.join(ws, "agent/tools/text.ts");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, `${before}\nexport function broken( {\n`);
    git(ws, "commit", "-qam", "break the build");
    expect(evolve(["eval", "--bisect", "--case", "slugify-basic"], ws).status).toBe(125);
    git(ws, "reset", "-q", "--hard", "gen-0");
  });

  it("--bisect without a predicate is a usage error", () => {
    const r = evolve(["eval", "--bisect"], ws);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--case ID/);
  });

  it("outside a workspace says so and exits 2", () => {
    const r = evolve(["eval"], tmp.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not inside a workspace/);
  });

  it("rejects bad flag values as usage errors", () => {
    const r = evolve(["run", "--budget", "zero"], ws);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected a whole number/);
  });
});

describe("colour", () => {
  // The CI that runs these tests sets CI=true, which picocolors alone takes as a reason to colour:
  // a log read as plain text (and scripts matching "error: ...") must not get escape codes then.
  const NO_ESC = /\u001b\[/;
  let tmp: { dir: string; cleanup: () => void };
  beforeAll(() => (tmp = tempDir("evolve-colour-")));
  afterAll(() => tmp.cleanup());

  it("is off when the output is not a terminal, even with CI=true in the environment", () => {
    const r = evolve(["log"], tmp.dir, { NO_COLOR: "", CI: "true", FORCE_COLOR: "" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).not.toMatch(NO_ESC);
  });

  it("is on with FORCE_COLOR, and NO_COLOR wins over it", () => {
    expect(evolve(["log"], tmp.dir, { NO_COLOR: "", FORCE_COLOR: "1" }).stderr).toMatch(/^\u001b\[31merror:/);
    expect(evolve(["log"], tmp.dir, { NO_COLOR: "1", FORCE_COLOR: "1" }).stderr).not.toMatch(NO_ESC);
  });

  it("is never written into buffers given to main() in process, whatever the environment", async () => {
    const { main } = await import("../bin/main.js");
    const io = { err: "", cwd: tmp.dir, stdout: () => {}, stderr: (t: string) => void (io.err += t) };
    const before = process.env["FORCE_COLOR"];
    process.env["FORCE_COLOR"] = "1";
    try {
      expect(await main(["log"], io)).toBe(2);
    } finally {
      if (before === undefined) delete process.env["FORCE_COLOR"];
      else process.env["FORCE_COLOR"] = before;
    }
    expect(io.err).toMatch(/^error: /);
  });
});

describe("a reader that goes away", () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeAll(() => (tmp = tempDir("evolve-epipe-")));
  afterAll(() => tmp.cleanup());

  it("ends evolve run quietly with exit 0 (evolve run | head), and the next run takes over its lock", async () => {
    const ws = path.join(tmp.dir, "textkit");
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    const child = spawn(process.execPath, [CLI, "run", "-w", ws, "--no-progress", "-g", "3", "-c", "8"], { env: { ...process.env, ...GIT_ENV, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Read the first line, then close the pipe as `head -1` does.
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    expect(gitStatus(ws, "fsck", "--strict").status).toBe(0);
    const next = evolve(["run", "-w", ws, "--no-progress", "-g", "1", "-c", "8"], tmp.dir);
    expect(next.status, next.stderr).toBe(0);
  }, 120_000);
});
