/**
 * The generation index (.git/evolve/generation-index) and the bulk pack reader under `evolve log`,
 * judged by native git: packed (with deltas), loose and rewritten histories read the same with the
 * index missing, present, damaged, truncated, forged or from another version; a commit whose index
 * update never happened (killed) is read correctly; generation tags never move off another
 * branch's generation; the README's notes command works.
 */
import { afterAll, describe, expect, test } from "vitest";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { appendAttempts, commitChanges, firstParentLog, formatMessage, initRepository, type AttemptRecord } from "../ledger/index.js";
import { walkFirstParentBatches } from "../ledger/log.js";
import { openHistory } from "../ledger/history-read.js";
import { GENERATION_INDEX_PATH } from "../ledger/generation-index.js";
import { freeTagName } from "../ledger/generations.js";
import { evolve, git, tempDir } from "./helpers.js";

const tmp = tempDir("evolve-history-index-");
afterAll(() => tmp.cleanup());

// A body of many similar lines makes git store commits as deltas of each other when it repacks.
const message = (g: number, bodyLines = 1): string =>
  formatMessage(`evolve: gen ${g}: step`, Array.from({ length: bodyLines }, (_, i) => `- a.txt:${i}: ${g - 1} -> ${g} (the same long explanation of the edit, line ${i})`).join("\n"), [
    ["Evolve-Generation", String(g)],
    ["Evolve-Score", String(g / 100)],
    ["Evolve-Delta", "+0.01"],
    ["Evolve-Action", "code-modification"],
    ["Evolve-Metrics", JSON.stringify({ score: g / 100, passed: g, total: 100 })],
  ]);

/** A workspace-shaped repository (evolve.config.yaml at the root) with generations 0..n by the ledger, tagged gen-N. */
async function ledgerRepo(name: string, n: number, bodyLines = 1): Promise<{ dir: string; commits: string[] }> {
  const dir = path.join(tmp.dir, name);
  const first = await initRepository(dir, new Map([["evolve.config.yaml", "version: 1\n"], ["a.txt", "0\n"]]), { message: formatMessage("evolve: gen 0: initial agent", "", [["Evolve-Generation", "0"]]), tagName: "gen-0", tagMessage: "gen 0\n" });
  const commits = [first.commit];
  for (let g = 1; g <= n; g++) {
    const r = await commitChanges(dir, { branch: "main", parent: commits.at(-1)!, changes: new Map([["a.txt", `${g}\n`]]), message: message(g, bodyLines), tagName: `gen-${g}`, tagMessage: `generation ${g}\n` });
    commits.push(r.commit);
  }
  return { dir, commits };
}

/** What native git says about the first-parent history: id, tree, parents, author time, author, message. */
function nativeLog(dir: string, ref = "HEAD"): Array<{ commit: string; tree: string; parents: string[]; timestamp: number; author: string; message: string }> {
  const out = git(dir, "log", "--first-parent", "-z", "--format=%H%n%T%n%P%n%at%n%an <%ae>%n%B", ref);
  return out
    .split("\0")
    .filter((s) => s !== "")
    .map((record) => {
      const [commit, tree, parents, at, author, ...rest] = record.split("\n");
      return { commit: commit!, tree: tree!, parents: parents === "" ? [] : parents!.split(" "), timestamp: Number(at), author: author!, message: rest.join("\n") };
    });
}

async function ours(dir: string, ref = "HEAD") {
  return (await firstParentLog(dir, ref)).map((e) => ({ commit: e.commit, tree: e.tree, parents: e.parents, timestamp: e.timestamp, author: e.author, message: e.message.trimEnd() }));
}

const nativeTrimmed = (dir: string, ref = "HEAD") => nativeLog(dir, ref).map((e) => ({ ...e, message: e.message.trimEnd() }));
const indexPath = (dir: string) => path.join(dir, ".git", GENERATION_INDEX_PATH);

describe("generation index: a cache that is never believed over git", () => {
  test("packed history with deltas, loose commits on top: the same as native git with the index missing, present, damaged, truncated and of another version", async () => {
    const { dir, commits } = await ledgerRepo("packed", 40, 60);
    // Pack everything, commits deltified against each other, then add loose commits after the pack.
    git(dir, "repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=250");
    git(dir, "pack-refs", "--all");
    const packDir = path.join(dir, ".git", "objects", "pack");
    const pack = readdirSync(packDir).find((n) => n.endsWith(".pack"))!;
    // Some commits are stored as deltas (the pack reader must apply them).
    expect(git(dir, "verify-pack", "-v", path.join(packDir, pack))).toMatch(/^[0-9a-f]{40} commit \d+ \d+ \d+ \d+ [0-9a-f]{40}$/m);
    let parent = commits.at(-1)!;
    for (let g = 41; g <= 44; g++) parent = (await commitChanges(dir, { branch: "main", parent, changes: new Map([["a.txt", `${g}\n`]]), message: message(g), tagName: `gen-${g}` })).commit;

    const expected = nativeTrimmed(dir);
    expect(expected).toHaveLength(45);
    rmSync(indexPath(dir), { force: true });
    expect(await ours(dir)).toEqual(expected); // cold: read from the pack and loose objects, index written
    expect(existsSync(indexPath(dir))).toBe(true);
    expect(await ours(dir)).toEqual(expected); // warm

    // A fresh process reads the file: damage one record's content, and the answer stays native git's.
    const bytes = readFileSync(indexPath(dir));
    const at = bytes.indexOf(Buffer.from("gen 20: step"));
    expect(at).toBeGreaterThan(0);
    bytes.write("GEN", at, "latin1");
    writeFileSync(indexPath(dir), bytes);
    const damaged = evolve(["log", "--json", "--workspace", dir], tmp.dir);
    expect(damaged.status, damaged.stderr).toBe(0);
    expect(JSON.parse(damaged.stdout).map((r: { commit: string }) => r.commit)).toEqual(expected.map((e) => e.commit));
    expect(JSON.parse(damaged.stdout)[24].subject).toBe("evolve: gen 20: step");
    expect(readFileSync(indexPath(dir)).includes(Buffer.from("GEN 20"))).toBe(false); // rewritten without the forged record

    truncateSync(indexPath(dir), statSync(indexPath(dir)).size - 100); // torn inside the last record
    expect(cliCommits(dir)).toEqual(expected.map((e) => e.commit));
    const other = readFileSync(indexPath(dir));
    other.writeUInt32BE(99, 4); // another version of the format
    writeFileSync(indexPath(dir), other);
    expect(cliCommits(dir)).toEqual(expected.map((e) => e.commit));
    expect(readFileSync(indexPath(dir)).readUInt32BE(4)).toBe(1);
    writeFileSync(indexPath(dir), "not an index at all");
    expect(cliCommits(dir)).toEqual(expected.map((e) => e.commit));
  });

  test("a rewritten, reset or natively extended history is read as it is now, not as the index remembers it", async () => {
    const { dir } = await ledgerRepo("rewritten", 8);
    expect(cliCommits(dir)).toEqual(nativeTrimmed(dir).map((e) => e.commit));
    git(dir, "reset", "-q", "--hard", "gen-5");
    writeFileSync(path.join(dir, "a.txt"), "native\n");
    git(dir, "commit", "-q", "-a", "-m", "native commit\n\nEvolve-Generation: 6");
    git(dir, "commit", "-q", "--amend", "-m", "amended native commit\n\nEvolve-Generation: 6\nEvolve-Score: 0.5");
    const rows = JSON.parse(evolve(["log", "--json", "--workspace", dir], tmp.dir).stdout) as Array<{ commit: string; subject: string; generation: number; score: number }>;
    expect(rows.map((r) => r.commit)).toEqual(nativeTrimmed(dir).map((e) => e.commit));
    expect(rows[0]).toMatchObject({ subject: "amended native commit", generation: 6, score: 0.5 });
    expect(await ours(dir)).toEqual(nativeTrimmed(dir));
  });

  test("a commit whose index update never happened (killed before or during it) is read correctly", async () => {
    const { dir, commits } = await ledgerRepo("killed", 5);
    await firstParentLog(dir, "HEAD"); // the index now holds generations 0..5
    const before = statSync(indexPath(dir)).size;
    const r = await commitChanges(dir, { branch: "main", parent: commits.at(-1)!, changes: new Map([["a.txt", "6\n"]]), message: message(6), tagName: "gen-6" });
    const after = statSync(indexPath(dir)).size;
    expect(after).toBeGreaterThan(before); // the ledger's hook appended generation 6 and its tag
    const expected = nativeTrimmed(dir).map((e) => e.commit);
    expect(expected[0]).toBe(r.commit);
    // The state a SIGKILL leaves between the branch update and the append: the index without the new records.
    truncateSync(indexPath(dir), before);
    expect(cliCommits(dir)).toEqual(expected);
    // ... and the state a SIGKILL leaves in the middle of the append: a torn record at the end.
    truncateSync(indexPath(dir), before + Math.floor((after - before) / 2));
    expect(cliCommits(dir)).toEqual(expected);
    const show = evolve(["show", "gen-6", "--no-measure", "--json", "--workspace", dir], tmp.dir);
    expect(show.status, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ commit: r.commit, generation: 6, tags: ["gen-6"], parents: [commits.at(-1)] });
  });

  test("the log is streamed: the first entry comes before the rest is read, and -n stops the reading", async () => {
    const { dir } = await ledgerRepo("stream", 30);
    rmSync(indexPath(dir), { force: true });
    const history = await openHistory(dir);
    const start = { ...history.objects.counts };
    const batches = walkFirstParentBatches(dir, "HEAD", { tags: false });
    const first = await batches.next();
    expect(first.value).toHaveLength(1);
    // The tip, read once to resolve HEAD and once for the entry: nothing else of the 31 commits.
    expect(history.objects.counts.fromGit + history.objects.counts.fromIndex - start.fromGit - start.fromIndex).toBeLessThanOrEqual(2);
    await batches.return(undefined);
    const two = JSON.parse(evolve(["log", "-n", "2", "--json", "--workspace", dir], tmp.dir).stdout) as Array<{ generation: number }>;
    expect(two.map((r) => r.generation)).toEqual([30, 29]);
    const text = evolve(["log", "--workspace", dir], tmp.dir).stdout.split("\n");
    expect(text[0]).toMatch(/^gen\s+commit\s+score\s+delta\s+action\s+subject$/);
    expect(text.filter((l) => /^\d+ /.test(l))).toHaveLength(31);
  });
});

describe("log --all and generation tags", () => {
  test("log --all -n 2: tags on the branch beyond the rows shown are on this history (issue 7)", async () => {
    const { dir } = await ledgerRepo("all", 4);
    const all = JSON.parse(evolve(["log", "--all", "-n", "2", "--json", "--workspace", dir], tmp.dir).stdout) as { commits: unknown[]; tags: Array<{ name: string; onBranch: boolean }> };
    expect(all.commits).toHaveLength(2);
    expect(all.tags.map((t) => [t.name, t.onBranch])).toEqual([0, 1, 2, 3, 4].map((g) => [`gen-${g}`, true]));
    const human = evolve(["log", "--all", "-n", "2", "--workspace", dir], tmp.dir).stdout;
    expect(human).not.toContain("not on this history");
  });

  test("gen-N tags never move off another branch's generation: the second branch gets BRANCH/gen-N (issue 10, item 8)", async () => {
    const { dir, commits } = await ledgerRepo("branches", 2);
    // A run on `experiment` makes generation 3 and tags it gen-3.
    git(dir, "checkout", "-q", "-b", "experiment");
    const expTag = await freeTagName(dir, "gen-3", commits[2]!);
    expect(expTag).toBe("gen-3");
    const exp = await commitChanges(dir, { branch: "experiment", parent: commits[2]!, changes: new Map([["a.txt", "exp\n"]]), message: message(3), tagName: expTag });
    // Back on main, generation 3 of main must not take gen-3 away from experiment.
    git(dir, "checkout", "-q", "main");
    const mainTag = await freeTagName(dir, "gen-3", commits[2]!);
    expect(mainTag).toBe("main/gen-3");
    const main3 = await commitChanges(dir, { branch: "main", parent: commits[2]!, changes: new Map([["a.txt", "main\n"]]), message: message(3), tagName: mainTag });
    expect(git(dir, "rev-parse", "gen-3^{commit}")).toBe(exp.commit);
    expect(git(dir, "rev-parse", "main/gen-3^{commit}")).toBe(main3.commit);
    // Writing gen-3 directly is refused, naming the reason, and moves nothing.
    await expect(commitChanges(dir, { branch: "main", parent: main3.commit, changes: new Map([["a.txt", "x\n"]]), message: message(4), tagName: "gen-3" })).rejects.toMatchObject({ code: "tag-exists" });
    expect(git(dir, "rev-parse", "gen-3^{commit}")).toBe(exp.commit);
    // With experiment deleted, its commit is reachable from no ref: an orphan, free to be overwritten.
    git(dir, "branch", "-q", "-D", "experiment");
    expect(await freeTagName(dir, "gen-3", main3.commit)).toBe("gen-3");
    git(dir, "fsck", "--strict", "--no-dangling");
  });

  test("the README's notes command works with native git on an annotated gen tag", async () => {
    const { dir, commits } = await ledgerRepo("notes", 2);
    const attempt: AttemptRecord = { generation: 3, base: commits[2]!, tree: "t", operator: "literal", proposer: "builtin", description: "d", diff: "", score: 0.1, holdout: null, reason: "no gain", metrics: {}, at: "2026-12-02T00:00:00Z" };
    await appendAttempts(dir, commits[2]!, [attempt]);
    const readme = readFileSync(path.join(import.meta.dirname, "..", "README.md"), "utf8");
    const command = /`(git notes --ref=evolve-attempts show [^`]+)`/.exec(readme)?.[1];
    expect(command).toBeDefined();
    const args = command!.split(" ").slice(1);
    expect(JSON.parse(git(dir, ...args)).attempts[0]).toMatchObject({ reason: "no gain", base: commits[2] });
  });
});

function cliCommits(dir: string): string[] {
  const r = evolve(["log", "--json", "--workspace", dir], tmp.dir);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ commit: string }>).map((x) => x.commit);
}
