/**
 * `evolve rollback` and `evolve show` through the built CLI: a rollback is a revert commit with the
 * tree native `git revert` makes (tip, middle of history, revert of a revert), recorded with
 * trailers and a score measured afresh; conflicts and bad input change nothing. Workspaces come
 * from `evolve init --example textkit`; generations are committed directly with the ledger so a
 * history costs milliseconds; native git judges the results.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commitChanges, formatMessage } from "../ledger/index.js";
import { evolve, evolveJson, git, gitStatus, tempDir, fsckClean, generation } from "./helpers.js";

const tmp = tempDir("evolve-history-cli-");
afterAll(() => tmp.cleanup());



const trailer = (ws: string, rev: string, key: string): string => git(ws, "log", "-1", `--format=%(trailers:key=${key},valueonly)`, rev);
const refsSnapshot = (ws: string): string => `${git(ws, "symbolic-ref", "HEAD")} ${git(ws, "rev-parse", "HEAD")}\n${git(ws, "for-each-ref")}`;

const MEDIAN_BUG = "return (sorted[mid]! + sorted[mid + 1]!) / 2;";
const MEDIAN_FIX = "return (sorted[mid]! + sorted[mid - 1]!) / 2;";
const MEDIAN_OTHER = "return (sorted[mid - 1]! + sorted[mid]!) / 2;";

describe("rollback, tag, reset, show: one workspace through its history", () => {
  const ws = path.join(tmp.dir, "textkit");
  const gens: string[] = [];
  /** [tip before, reverted commit, our revert commit] for the native comparison. */
  const rollbacks: Array<[string, string, string]> = [];

  beforeAll(async () => {
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    gens.push(git(ws, "rev-parse", "HEAD"));
    gens.push(await generation(ws, 1, "fix median of even lists", { "agent/tools/numbers.ts": [[MEDIAN_BUG, MEDIAN_FIX]] }));
    gens.push(await generation(ws, 2, "reword the text helpers", { "agent/tools/text.ts": [["// Text helpers", "// Text utilities"]] }));
    gens.push(await generation(ws, 3, "reword the notes helpers", { "agent/tools/notes.ts": [["\n", " (notes)\n"]] }));
  }, 60_000);

  function rollback(ref: string): { commit: string; tree: string; tag: string; generation: number; reverted: string; score: number; parentScore: number | null; delta: number | null; broken: string[]; fixed: string[]; changed: string[] } {
    const before = git(ws, "rev-parse", "HEAD");
    const r = evolveJson(["rollback", ref, "--workspace", ws], tmp.dir);
    rollbacks.push([before, git(ws, "rev-parse", `${ref}^{commit}`), r.commit]);
    return r;
  }

  test("rolling back the tip: a revert commit with trailers, tag and a fresh score", () => {
    const r = rollback("gen-3");
    expect(r.generation).toBe(4);
    expect(r.tag).toBe("gen-4");
    expect(r.changed).toEqual(["agent/tools/notes.ts"]);
    expect(git(ws, "rev-parse", "HEAD")).toBe(r.commit);
    expect(git(ws, "rev-parse", "gen-4^{commit}")).toBe(r.commit);
    expect(git(ws, "cat-file", "-t", "gen-4")).toBe("tag");
    expect(git(ws, "rev-parse", "HEAD^")).toBe(gens[3]);
    expect(trailer(ws, r.commit, "Evolve-Reverts")).toBe(gens[3]);
    expect(trailer(ws, r.commit, "Evolve-Action")).toBe("rollback");
    expect(trailer(ws, r.commit, "Evolve-Generation")).toBe("4");
    expect(Number(trailer(ws, r.commit, "Evolve-Score"))).toBe(r.score);
    expect(git(ws, "log", "-1", "--format=%b", r.commit)).toContain(`This reverts commit ${gens[3]}.`);
    // A comment-only change: same score as before.
    expect(r.delta).toBe(0);
    expect(git(ws, "status", "--porcelain")).toBe("");
  });

  test("rolling back a generation in the middle: its fix is undone and the score says so", () => {
    const r = rollback("gen-1");
    expect(r.generation).toBe(5);
    expect(r.changed).toEqual(["agent/tools/numbers.ts"]);
    expect(readFileSync(path.join(ws, "agent/tools/numbers.ts"), "utf8")).toContain(MEDIAN_BUG);
    expect(readFileSync(path.join(ws, "agent/tools/text.ts"), "utf8")).toContain("// Text utilities");
    expect(r.broken).toEqual(expect.arrayContaining(["median-even", "median-even-holdout"]));
    expect(r.delta).toBeLessThan(0);
    expect(Number(trailer(ws, r.commit, "Evolve-Delta"))).toBe(r.delta);
    expect(Number(trailer(ws, r.commit, "Evolve-Parent-Score"))).toBe(r.parentScore);
    // The recorded score is what a fresh measurement of the commit gives.
    const measured = evolveJson(["eval", r.commit, "--workspace", ws, "--no-cache"], tmp.dir);
    expect(measured.score).toBe(r.score);
    expect(Number(trailer(ws, r.commit, "Evolve-Score"))).toBe(measured.score);
  });

  test("rolling back a rollback (a revert of a revert) reapplies the change", () => {
    const tip4 = git(ws, "rev-parse", "gen-4^{commit}");
    const r = rollback(tip4);
    expect(r.generation).toBe(6);
    expect(trailer(ws, r.commit, "Evolve-Reverts")).toBe(tip4);
    expect(readFileSync(path.join(ws, "agent/tools/notes.ts"), "utf8")).toBe(git(ws, "show", `${gens[3]}:agent/tools/notes.ts`) + "\n");
  });

  test("every rollback's tree is the tree native `git revert` makes on a clone", () => {
    const clone = path.join(tmp.dir, "clone");
    git(tmp.dir, "clone", "-q", ws, clone);
    expect(rollbacks).toHaveLength(3);
    for (const [before, target, ours] of rollbacks) {
      git(clone, "checkout", "-q", "--detach", before);
      git(clone, "revert", "--no-edit", target);
      expect(git(clone, "rev-parse", "HEAD^{tree}"), `revert of ${target} on ${before}`).toBe(git(clone, "rev-parse", `${ours}^{tree}`));
    }
    fsckClean(ws);
  });

  test("a conflicting rollback names the file, exits 2 and changes nothing", async () => {
    gens.push(await generation(ws, 7, "median written the other way", { "agent/tools/numbers.ts": [[MEDIAN_BUG, MEDIAN_OTHER]] }));
    const before = refsSnapshot(ws);
    const r = evolve(["rollback", "gen-1", "--workspace", ws], tmp.dir);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/conflicts with later changes in agent\/tools\/numbers\.ts/);
    expect(r.stderr).toMatch(/nothing was changed/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
    expect(refsSnapshot(ws)).toBe(before);
    expect(git(ws, "status", "--porcelain")).toBe("");
  });

  test("bad input: unknown ref, uncommitted changes, a change already undone: exit 2, nothing changed", () => {
    const before = refsSnapshot(ws);
    const unknown = evolve(["rollback", "no-such-gen", "--workspace", ws], tmp.dir);
    expect(unknown.status, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/"no-such-gen"/);
    const noop = evolve(["rollback", "gen-4", "--workspace", ws], tmp.dir); // gen-6 undid it already
    expect(noop.status, noop.stderr).toBe(2);
    expect(noop.stderr).toMatch(/already undone/);
    const file = path.join(ws, "agent/tools/text.ts");
    const text = readFileSync(file, "utf8");
    writeFileSync(file, `${text}// local edit\n`);
    const dirty = evolve(["rollback", "gen-2", "--workspace", ws], tmp.dir);
    expect(dirty.status, dirty.stderr).toBe(2);
    expect(dirty.stderr).toMatch(/uncommitted changes \(agent\/tools\/text\.ts\)/);
    writeFileSync(file, text);
    expect(refsSnapshot(ws)).toBe(before);
    expect(evolve(["rollback", "--workspace", ws], tmp.dir).status).toBe(2); // missing argument
  });

  test("show: why, recorded metrics, the cases a generation flipped, its diff", () => {
    const s = evolveJson(["show", "gen-1", "--workspace", ws], tmp.dir);
    expect(s.commit).toBe(gens[1]);
    expect(s.generation).toBe(1);
    expect(s.subject).toBe("evolve: gen 1: fix median of even lists");
    expect(s.trailers["Evolve-Generation"]).toBe("1");
    expect(s.measured.fixed).toEqual(expect.arrayContaining(["median-even", "median-even-holdout"]));
    expect(s.measured.broken).toEqual([]);
    expect(s.measured.delta).toBeGreaterThan(0);
    expect(s.files).toEqual([{ path: "agent/tools/numbers.ts", status: "modified", added: 1, removed: 1 }]);
    expect(s.diff).toContain(`\n-  ${MEDIAN_BUG}\n+  ${MEDIAN_FIX}\n`);
    // The same patch native git computes.
    expect(git(ws, "diff", "--numstat", `${gens[0]}`, `${gens[1]}`)).toBe("1\t1\tagent/tools/numbers.ts");

    const revert = evolveJson(["show", "gen-5", "--workspace", ws], tmp.dir);
    expect(revert.trailers["Evolve-Action"]).toBe("rollback");
    expect(revert.metrics.score).toBe(Number(revert.trailers["Evolve-Score"]));
    expect(revert.measured.broken).toEqual(expect.arrayContaining(["median-even"]));
    expect(revert.body).toContain("This reverts commit");

    const root = evolveJson(["show", "gen-0", "--workspace", ws, "--no-measure", "--stat"], tmp.dir);
    expect(root.parents).toEqual([]);
    expect(root.measured).toBeNull();
    expect(root.diff).toBeUndefined();
    expect(root.files.length).toBe(git(ws, "ls-tree", "-r", "--name-only", "gen-0").split("\n").length);
    expect(root.files.every((f: { status: string }) => f.status === "added")).toBe(true);

    const human = evolve(["show", "gen-1", "--workspace", ws], tmp.dir);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/cases fixed: .*median-even/);
    expect(human.stdout).toContain("diff --git a/agent/tools/numbers.ts b/agent/tools/numbers.ts");
    expect(evolve(["show", "nope", "--workspace", ws], tmp.dir).status).toBe(2);
  });
});

describe("evolve log in process", () => {
  const tmp = tempDir("evolve-log-io-");
  afterAll(() => tmp.cleanup());

  test("writes its rows through the invocation's streams, table and --json alike (nothing to process.stdout)", async () => {
    const { main } = await import("../bin/main.js");
    const ws = path.join(tmp.dir, "ws");
    evolveJson(["init", ws, "--example", "textkit"], tmp.dir);
    const run = async (args: string[]) => {
      const io = { out: "", err: "", cwd: tmp.dir, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
      const code = await main(["log", "--workspace", ws, ...args], io);
      return { code, ...io };
    };
    const json = await run(["--json"]);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ generation: 0, tags: ["gen-0"] })]);
    const table = await run([]);
    expect(table.out).toMatch(/^gen\s+commit/m);
  });
});
