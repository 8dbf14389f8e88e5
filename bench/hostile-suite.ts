/**
 * The hostile-candidate suite: every attack of bench/hostile/ run against the real sandbox and the
 * host's judging, counting escapes, host hangs and judge desynchronisations (target: 0, 0, 0).
 *
 *   npm run hostile                          all attacks, a table and the counts
 *   node dist/bench/hostile-suite.js --only a,b --json      some attacks; one JSON object on stdout
 *   ... --hang-ms N                          an attack whose host side takes longer is a host hang (default 30000)
 *   ... --list                               the attacks, one per line
 *
 * The attacks run in a child process (`--child`), which reports each result as one JSON line. A
 * child that reports nothing for --hang-ms is killed: its current attack counts as a host hang and
 * the rest go on in a new child. Exit 0 when every count is 0 and every attack ended as expected.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { initRepository, formatMessage } from "../ledger/index.js";
import { createSandbox } from "../sandbox/pool.js";
import type { Attack } from "./hostile/attack.js";
import { escapeAttacks } from "./hostile/attacks-escape.js";
import { judgeAttacks, timerAttacks } from "./hostile/attacks-judge.js";
import { hostAttacks, resourceAttacks } from "./hostile/attacks-resources.js";
import { runAttack, setUpCanaries, type AttackResult } from "./hostile/harness.js";

export const ATTACKS: Attack[] = [...escapeAttacks, ...timerAttacks, ...judgeAttacks, ...resourceAttacks, ...hostAttacks];

export interface SuiteReport {
  attacks: number;
  escapes: number;
  hostHangs: number;
  desyncs: number;
  unexpected: number;
  results: Array<AttackResult & { hang: boolean }>;
}

const ENV_SECRET = "EVOLVE_HOSTILE_SECRET";

interface Args {
  only: string[] | null;
  json: boolean;
  list: boolean;
  child: boolean;
  hangMs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { only: null, json: false, list: false, child: false, hangMs: 30_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") args.json = true;
    else if (a === "--list") args.list = true;
    else if (a === "--child") args.child = true;
    else if (a === "--only") args.only = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a === "--hang-ms") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1000) throw new Error(`hostile-suite: --hang-ms takes a whole number >= 1000, got ${argv[i] ?? "nothing"}`);
      args.hangMs = v;
    } else throw new Error(`hostile-suite: unknown argument ${a}; expected --only a,b  --json  --list  --hang-ms N`);
  }
  if (args.only !== null) {
    const known = new Set(ATTACKS.map((a) => a.name));
    const unknown = args.only.filter((n) => !known.has(n));
    if (unknown.length > 0) throw new Error(`hostile-suite: unknown attack(s) ${unknown.join(", ")} (see --list)`);
  }
  return args;
}

/** In the child: run the named attacks in order, one JSON line each, after a "ready" line. */
async function child(names: string[]): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "evolve-hostile-"));
  const cacheRepo = join(scratch, "repo");
  await initRepository(cacheRepo, new Map([["a.txt", "a\n"]]), { message: formatMessage("init", "", []), tagName: "gen-0", tagMessage: "g0" });
  const canaries = await setUpCanaries(scratch, process.env[ENV_SECRET] ?? "", cacheRepo);
  const sandbox = createSandbox({ workers: 2, timeoutMs: 1000, memoryMb: 64 });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  try {
    for (const name of names) {
      const attack = ATTACKS.find((a) => a.name === name)!;
      process.stdout.write(`${JSON.stringify(await runAttack(attack, sandbox, canaries))}\n`);
    }
  } finally {
    await sandbox.destroy();
    await canaries.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Run `names` in child processes, restarting after a hang; results in order. */
export async function runSuite(names: string[], hangMs: number, onResult: (r: SuiteReport["results"][number]) => void = () => {}): Promise<SuiteReport> {
  const results: SuiteReport["results"] = [];
  const envSecret = randomBytes(16).toString("hex");
  let rest = names;
  while (rest.length > 0) {
    const done = await oneChild(rest, hangMs, envSecret, (r) => {
      results.push(r);
      onResult(r);
    });
    rest = rest.slice(done);
  }
  return {
    attacks: results.length,
    escapes: results.filter((r) => r.escapes.length > 0).length,
    hostHangs: results.filter((r) => r.hang).length,
    desyncs: results.filter((r) => r.desyncs.length > 0).length,
    unexpected: results.filter((r) => r.unexpected.length > 0).length,
    results,
  };
}

/** One child over `names`; returns how many names it settled (a hang settles the current one). */
function oneChild(names: string[], hangMs: number, envSecret: string, report: (r: SuiteReport["results"][number]) => void): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, [self, "--child", "--only", names.join(",")], { env: { ...process.env, [ENV_SECRET]: envSecret }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
  let settled = 0;
  let ready = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const attack = ATTACKS.find((a) => a.name === names[settled])!;
      if (ready) report({ name: attack.name, category: attack.category, ended: "timeout", detail: `no answer from the host for ${ms} ms`, escapes: [], desyncs: [], unexpected: [], ms, hang: true });
      proc.kill("SIGKILL");
    }, ms);
  };
  arm(120_000);
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const msg = JSON.parse(line) as { ready?: true } & AttackResult;
      if (msg.ready === true) ready = true;
      else {
        report({ ...msg, hang: msg.ms > hangMs });
        settled++;
      }
      arm(hangMs);
    });
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL" && ready) return resolve(settled + 1);
      if (settled === names.length) return resolve(settled);
      reject(new Error(`hostile-suite: the child ${ready ? "died" : "did not start"} (${signal ?? `exit ${code}`}) after ${settled} attack(s): ${stderr.trim()}`));
    });
  });
}

function row(r: SuiteReport["results"][number]): string {
  const verdict = [r.hang ? "HOST HANG" : "", r.escapes.length ? `ESCAPE: ${r.escapes.join("; ")}` : "", r.desyncs.length ? `DESYNC: ${r.desyncs.join("; ")}` : "", r.unexpected.length ? `UNEXPECTED: ${r.unexpected.join("; ")}` : ""]
    .filter(Boolean)
    .join(" | ");
  const detail = r.detail ? `  (${r.detail.slice(0, 90)})` : "";
  return `${r.category.padEnd(12)} ${r.name.padEnd(40)} ${r.ended.padEnd(14)} ${String(r.ms).padStart(6)} ms  ${verdict || "held"}${detail}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const names = args.only ?? ATTACKS.map((a) => a.name);
  if (args.child) return child(names);
  if (args.list) {
    for (const a of ATTACKS) process.stdout.write(`${a.category.padEnd(12)} ${a.name.padEnd(40)} ${a.tries}\n`);
    return;
  }
  const report = await runSuite(names, args.hangMs, (r) => {
    if (!args.json) process.stdout.write(`${row(r)}\n`);
  });
  const counts = `${report.attacks} attacks: ${report.escapes} escapes, ${report.hostHangs} host hangs, ${report.desyncs} judge desynchronisations, ${report.unexpected} unexpected ends`;
  if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${counts}\n`);
  if (report.escapes + report.hostHangs + report.desyncs + report.unexpected > 0) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
}
