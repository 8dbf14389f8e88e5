/**
 * The kill loop (issue 10): `evolve run` on a real workspace, SIGKILLed at a random moment, N times.
 * After every kill: `git fsck --strict` passes, every generation committed before is still on the
 * branch's first-parent history (none lost), no rollback appeared (none falsely reverted: the
 * textkit generations are all real improvements), and the work tree is clean once the next command
 * has repaired it. Rounds are small (8 candidates) so that kills also land while commits are made. At the end one more run must finish on its own. When a workspace has nothing
 * left to improve, the loop goes on in a fresh one.
 *
 *   npm run killloop -- 100 [--seed S] [--max-ms MS] [--json]
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { initWorkspace } from "../workspace/init.js";
import { packageRoot } from "../kernel/package-root.js";
import { createRng } from "../evolution/rng.js";

// The built CLI, also when this module runs from source (the test imports it through vitest).
const CLI = path.join(packageRoot(), "dist", "bin", "evolve.js");
const ENV = { ...process.env, NO_COLOR: "1", GIT_AUTHOR_NAME: "killloop", GIT_AUTHOR_EMAIL: "killloop@localhost", GIT_COMMITTER_NAME: "killloop", GIT_COMMITTER_EMAIL: "killloop@localhost" };

/** What the loop saw; every count but `kills`, `generations` and `workspaces` must be 0. */
export interface KillLoopReport {
  kills: number;
  /** Runs that finished before their kill came. */
  finishedBeforeKill: number;
  corrupt: number;
  lostGenerations: number;
  falseReverts: number;
  /** Runs that failed (exit other than 0) without being killed, the final one included. */
  failedRuns: number;
  generations: number;
  workspaces: number;
  problems: string[];
  ms: number;
}

export interface KillLoopOptions {
  /** SIGKILLs that must land (runs that finish first are checked but not counted; at most 3x as many runs). */
  kills: number;
  seed?: number;
  /** Kill after a delay drawn uniformly from [minMs, maxMs]. */
  minMs?: number;
  maxMs?: number;
  log?: (line: string) => void;
}

const gitOut = (dir: string, ...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", env: ENV }).trim();

/** First-parent commits of HEAD, newest first, each with its Evolve-Action. */
function history(dir: string): Array<{ commit: string; action: string }> {
  return gitOut(dir, "log", "--first-parent", "--format=%H %(trailers:key=Evolve-Action,valueonly,separator=)")
    .split("\n")
    .filter(Boolean)
    .map((line) => ({ commit: line.slice(0, 40), action: line.slice(41).trim() }));
}

/** Start `evolve run`, SIGKILL it after `delayMs`; resolves with whether it was killed and its exit code. */
function runAndKill(dir: string, delayMs: number): Promise<{ killed: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "run", "--no-progress", "-g", "2", "-c", "8"], { cwd: dir, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    // The summary (stdout) says when a workspace has nothing left to improve.
    child.stdout.on("data", (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4000)));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill("SIGKILL");
    }, delayMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ killed: killed && code === null, code, stdout, stderr });
    });
  });
}

/** Checks after one kill; returns the problems found. */
function check(dir: string, before: ReturnType<typeof history>): { problems: string[]; lost: number; reverts: number; corrupt: number } {
  const problems: string[] = [];
  const fsck = spawnSync("git", ["fsck", "--strict", "--no-progress"], { cwd: dir, encoding: "utf8", env: ENV });
  const corrupt = fsck.status === 0 ? 0 : 1;
  if (corrupt) problems.push(`git fsck failed in ${dir}: ${fsck.stderr.trim().split("\n")[0]}`);
  const after = history(dir);
  const now = new Set(after.map((h) => h.commit));
  const lost = before.filter((h) => !now.has(h.commit)).length;
  if (lost > 0) problems.push(`${lost} generation(s) no longer on the branch in ${dir}`);
  const known = new Set(before.map((h) => h.commit));
  const reverts = after.filter((h) => !known.has(h.commit) && h.action === "rollback").length;
  if (reverts > 0) problems.push(`${reverts} rollback(s) appeared in ${dir}`);
  return { problems, lost, reverts, corrupt };
}

async function freshWorkspace(parent: string, n: number): Promise<string> {
  const dir = path.join(parent, `ws-${n}`);
  await initWorkspace(dir, { example: "textkit", env: ENV });
  return dir;
}

/** Run the loop in a temporary folder (removed afterwards). */
export async function killLoop(options: KillLoopOptions): Promise<KillLoopReport> {
  const t0 = performance.now();
  const random = createRng(options.seed ?? 1).next;
  const [minMs, maxMs] = [options.minMs ?? 300, options.maxMs ?? 8000];
  const log = options.log ?? (() => {});
  const parent = mkdtempSync(path.join(os.tmpdir(), "evolve-killloop-"));
  const report: KillLoopReport = { kills: 0, finishedBeforeKill: 0, corrupt: 0, lostGenerations: 0, falseReverts: 0, failedRuns: 0, generations: 0, workspaces: 1, problems: [], ms: 0 };
  try {
    let dir = await freshWorkspace(parent, report.workspaces);
    // N kills, not N runs: a run may finish before its kill comes (a workspace with little left to
    // do); those are checked too but do not count, up to three runs per kill asked for.
    for (let i = 1; report.kills < options.kills && i <= options.kills * 3; i++) {
      const before = history(dir);
      const delay = Math.round(minMs + random() * (maxMs - minMs));
      const r = await runAndKill(dir, delay);
      const c = check(dir, before);
      report.corrupt += c.corrupt;
      report.lostGenerations += c.lost;
      report.falseReverts += c.reverts;
      report.problems.push(...c.problems);
      const made = Math.max(0, history(dir).length - before.length);
      report.generations += made;
      if (r.killed) report.kills++;
      else {
        report.finishedBeforeKill++;
        if (r.code !== 0) {
          report.failedRuns++;
          report.problems.push(`run ${i} exited ${r.code} unkilled: ${r.stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
        } else if (/Done: every (train )?case passes/.test(r.stdout)) {
          report.workspaces++;
          dir = await freshWorkspace(parent, report.workspaces);
        }
      }
      log(`run ${i}, kill ${report.kills}/${options.kills}: ${r.killed ? `killed after ${delay} ms` : `finished (exit ${r.code})`}, ${made} commit(s); ${c.problems.length === 0 ? "ok" : c.problems.join("; ")}`);
    }
    const last = await runAndKill(dir, 3_600_000);
    if (last.code !== 0) {
      report.failedRuns++;
      report.problems.push(`the run after the loop exited ${last.code}: ${last.stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
    }
    if (gitOut(dir, "status", "--porcelain") !== "") report.problems.push(`the work tree of ${dir} is not clean after the final run`);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
  report.ms = Math.round(performance.now() - t0);
  return report;
}

async function main(argv: string[]): Promise<void> {
  const kills = Number(argv.find((a) => /^\d+$/.test(a)) ?? 100);
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const json = argv.includes("--json");
  const report = await killLoop({ kills, seed: at("--seed") ?? 1, maxMs: at("--max-ms") ?? 8000, log: json ? undefined : (l) => console.log(l) });
  if (json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`\n${report.kills} SIGKILLs (${report.finishedBeforeKill} runs finished first) over ${report.workspaces} workspace(s), ${report.generations} generations committed, ${(report.ms / 1000).toFixed(0)} s`);
    console.log(`corrupt repositories ${report.corrupt}, lost generations ${report.lostGenerations}, false reverts ${report.falseReverts}, failed runs ${report.failedRuns}`);
  }
  const bad = report.corrupt + report.lostGenerations + report.falseReverts + report.failedRuns + report.problems.length;
  process.exitCode = bad === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
