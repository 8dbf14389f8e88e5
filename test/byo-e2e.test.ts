/**
 * Bring your own agent, end to end (issue 12's "done when"): an existing repository with a few
 * TypeScript modules, not made by evolve, gets `evolve init --here`; cases are recorded from the
 * tools' current behaviour plus one the user writes for a planted defect; `evolve run` repairs the
 * defect; every file evolution may not touch is byte-identical afterwards. Real repository, real
 * sandbox, the real CLI for the run, native git to check.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { evolve, git, GIT_ENV, gitStatus, tempDir } from "./helpers.js";
import { adoptFolder } from "../workspace/adopt.js";
import { commitRecording, planRecording } from "../history/record-case.js";

const tmp = tempDir("evolve-byo-");
afterAll(() => tmp.cleanup());

const FILES: Record<string, string> = {
  "src/numbers.ts": `/** How many of \`xs\` are strictly above \`t\`. */
export function countAbove(xs: number[], t: number): number {
  let n = 0;
  for (const x of xs) if (x >= t) n++;
  return n;
}

/** The largest of \`xs\`. */
export function maxOf(xs: number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}
`,
  "src/text.ts": `import { countAbove } from "./numbers.js";
/** Words longer than \`n\` letters. */
export function longWords(s: string, n: number): number {
  return countAbove(s.split(/\\s+/).filter(Boolean).map((w) => w.length), n);
}
export function shout(s: string): string {
  return s.toUpperCase() + "!";
}
`,
  "src/cli.ts": `import { argv } from "node:process";\nimport { shout } from "./text.js";\nconsole.log(shout(argv[2] ?? ""));\n`,
  "package.json": `{ "name": "mine", "type": "module" }\n`,
  "README.md": "# mine\n",
};

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("bring your own agent", () => {
  it("init --here, record cases, evolve a planted defect; nothing else changes", async () => {
    const dir = path.join(tmp.dir, "mine");
    for (const [f, text] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), text);
    }
    git(dir, "init", "-q", "-b", "main");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "my project");

    const init = await adoptFolder(dir, { bare: true, env: GIT_ENV });
    expect(init.tools.map((t) => `${t.file}: ${t.exports.join(",")}`)).toEqual(["src/numbers.ts: countAbove,maxOf", "src/text.ts: longWords,shout"]);
    expect(init.skipped.map((s) => s.file)).toEqual(["src/cli.ts"]);

    // Pin today's behaviour of the tools that are right.
    for (const [tool, args] of [["maxOf", [[3, 9, 2]]], ["shout", ["hi"]], ["countAbove", [[1, 5, 9], 4]]] as const) {
      const plan = await planRecording(dir, tool, [...args]);
      await commitRecording(plan, { name: "test", email: "test@localhost" });
    }
    await expect(planRecording(dir, "maxOf", [[]])).rejects.toThrow(/returned a value YAML cannot hold/); // -Infinity
    await expect(planRecording(dir, "nope", [])).rejects.toThrow(/did not give a result to record \(missing-tool\)/);
    const recorded = readFileSync(path.join(dir, "golden-tests/recorded.yaml"), "utf8");
    expect(recorded).toMatch(/id: shout-1\n\s+tool: shout\n\s+args:\n\s+- hi\n\s+assert:\n\s+- type: equals\n\s+value: HI!/);
    // The user's expectation for the planted defect (>= where > is meant).
    appendFileSync(
      path.join(dir, "golden-tests/recorded.yaml"),
      "  - id: count-strict\n    tool: countAbove\n    args: [[1, 4, 5], 4]\n    assert: [{ type: equals, value: 1 }]\n" +
        "  - id: count-fraction\n    tool: countAbove\n    args: [[4.5, 4], 4]\n    assert: [{ type: equals, value: 1 }]\n",
    );
    git(dir, "commit", "-qam", "what countAbove should do");

    const protectedFiles = ["src/cli.ts", "package.json", "README.md", "evolve.config.yaml", "golden-tests/recorded.yaml", "golden-tests/cases.yaml"];
    const before = Object.fromEntries(protectedFiles.map((f) => [f, sha(path.join(dir, f))]));
    const run = evolve(["run", "-g", "1", "--no-progress", "--json"], dir);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { initialScore: number; finalScore: number };
    expect(result.finalScore, run.stderr).toBe(1);
    expect(result.initialScore).toBe(0.6);
    expect(readFileSync(path.join(dir, "src/numbers.ts"), "utf8")).not.toContain("x >= t");
    expect(Object.fromEntries(protectedFiles.map((f) => [f, sha(path.join(dir, f))]))).toEqual(before);
    expect(git(dir, "diff", "--name-only", "gen-0", "HEAD", "--", "src")).toBe("src/numbers.ts");
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(gitStatus(dir, "fsck", "--strict").status).toBe(0);
  }, 180_000);
});
