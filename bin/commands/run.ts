/**
 * `evolve run`: evolve the workspace's agent on its current branch. Outside any workspace it first
 * creates a fresh one from a bundled example under ./workspaces/ (its own git repository), so the
 * quickstart never commits into the repository it is run from.
 */
import { describeRepair, repairStatus } from "../../evolution/repair-status.js";
import path from "node:path";
import { mkdirSync } from "node:fs";
import cliProgress from "cli-progress";
import { findWorkspaceRoot, WorkspaceError } from "../../workspace/open.js";
import { initWorkspace } from "../../workspace/init.js";
import { evolveWorkspace } from "../../evolution/engine.js";
import type { TunePhase } from "../../evolution/engine.js";
import type { RunEvent, RunSummary } from "../../evolution/controller.js";
import { tuneEventLine } from "./tune.js";
import { c, fail, fixed, output, setExitCode, signed, table } from "../output.js";
import type { Out } from "../output.js";
import { lockedCommand } from "./lock.js";

export interface RunFlags {
  workspace?: string;
  example: string;
  generations?: number;
  candidates?: number;
  budget?: number;
  seed?: number;
  approveLarge?: boolean;
  json?: boolean;
  progress?: boolean;
  proposer?: "builtin" | "llm" | "mixed";
  provider?: string;
  model?: string;
  baseUrl?: string;
  threads?: number;
  redis?: string;
  wait?: boolean | string;
  /** --memory. */
  memory?: boolean;
}

/** Holds the workspace lock for the whole run (see lockedCommand). */
export async function runCommand(flags: RunFlags): Promise<void> {
  await lockedCommand("evolve run", flags, () => runUnlocked(flags));
}

async function runUnlocked(flags: RunFlags): Promise<void> {
  const out = output(flags.json === true);
  const interrupt = onInterrupt(out);
  try {
    const root = await resolveWorkspace(flags, out);
    const render = renderer(out, flags.progress !== false);
    const { summary, tune } = await evolveWorkspace(
      {
        dir: root,
        generations: flags.generations,
        candidatesPerGeneration: flags.candidates,
        budget: flags.budget,
        seed: flags.seed,
        approveLarge: flags.approveLarge,
        proposer: flags.proposer,
        model: { provider: flags.provider, model: flags.model, baseUrl: flags.baseUrl, threads: flags.threads },
        ...(flags.redis !== undefined ? { redis: flags.redis } : {}),
        learn: flags.memory === true,
        stopRequested: interrupt.requested,
        onEvent: render.event,
      },
      {
        onGenerationsDone: (s) => {
          render.stop();
          printSummary(out, s);
        },
        // Prompt tuning and parameter search on the agent-level cases: what code mutations cannot reach.
        onTuneStart: (line) => {
          out.say("");
          out.say(c.bold("Prompt tuning and parameter search on the agent-level cases:"));
          out.say(`  ${line}`);
        },
        onTuneEvent: (e) => out.say(`  ${tuneEventLine(e)}`),
      },
    );
    const tuned = tuneOutcome(out, tune);
    if (out.isJson) out.json({ ...(jsonOf(summary) as object), ...(tuned === null ? {} : { tune: tuned }) });
    // Interrupted: what was committed is kept, but the job was not finished.
    if (summary.stopCause === "stopped") setExitCode(interrupt.exitCode());
  } catch (e) {
    fail(e);
  } finally {
    interrupt.dispose();
  }
}

/** The shell's exit code for a job ended by each signal (128 + its number). */
const EXIT_ON: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };
type StopSignal = "SIGINT" | "SIGTERM";

/**
 * The first Ctrl-C (or SIGTERM, as a service manager or `docker stop` sends) asks the run to stop
 * between candidates (those in flight finish and are recorded, nothing more is committed); a second
 * signal quits at once, which is safe too: a commit is written whole or not at all, and the next run
 * repairs the work tree.
 */
function onInterrupt(out: Out): { requested: () => boolean; exitCode: () => number; dispose: () => void } {
  let first: StopSignal | null = null;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const on = (): void => {
      if (first !== null) process.exit(EXIT_ON[first]);
      first = signal;
      out.warn(`${signal}: stopping after the candidates in flight (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again to quit now)`);
    };
    process.on(signal, on);
    return [signal, on] as const;
  });
  return {
    requested: () => first !== null,
    exitCode: () => EXIT_ON[first ?? "SIGINT"],
    dispose: () => {
      for (const [signal, on] of handlers) process.off(signal, on);
    },
  };
}

/** What the tuning phase did, said once; its part of the --json object (null when it did not run). */
function tuneOutcome(out: Out, t: TunePhase): unknown {
  if (!t.ran) {
    if (t.reason === "no-model") out.say(`${t.agentCases} agent-level case(s) not tuned: no model (pass --provider and --model, or set model in evolve.config.yaml)`);
    return null;
  }
  const { report, stats } = t;
  out.say(`${report.stopReason}. Agent-level score ${report.initialScore} -> ${report.finalScore}; ${report.generations.length} generation(s) committed; response cache ${stats.hits} hit(s), ${stats.misses} miss(es).`);
  return { initialScore: report.initialScore, finalScore: report.finalScore, model: report.model, generations: report.generations.map((g) => ({ generation: g.generation, commit: g.commit, tag: g.tag, score: g.score, action: g.action })), stopReason: report.stopReason, cache: stats };
}

async function resolveWorkspace(flags: RunFlags, out: Out): Promise<string> {
  if (flags.workspace !== undefined) {
    const root = findWorkspaceRoot(flags.workspace);
    if (root === null || path.resolve(root) !== path.resolve(flags.workspace)) {
      throw new WorkspaceError(`${path.resolve(flags.workspace)} is not a workspace (a git repository root with evolve.config.yaml); create one with \`evolve init ${flags.workspace}\``, "not-a-workspace", { dir: path.resolve(flags.workspace) });
    }
    return root;
  }
  const here = findWorkspaceRoot(process.cwd());
  if (here !== null) return here;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const parent = path.resolve("workspaces");
  mkdirSync(parent, { recursive: true });
  const { dir } = await initWorkspace(path.join(parent, `${flags.example}-${stamp}`), { example: flags.example });
  out.say(`No workspace here, so evolve made one from the bundled example "${flags.example}":`);
  out.say(`  ${c.bold(path.relative(process.cwd(), dir) || dir)}  (its own git repository; generation 0 is tagged gen-0)`);
  return dir;
}

function renderer(out: Out, wantBar: boolean): { event: (e: RunEvent) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | null = null;
  let score = 0;
  const log = (line: string) => {
    if (bar !== null) bar.stop();
    out.say(line);
    if (bar !== null) bar.start(bar.getTotal(), current, { score: fixed(score) });
  };
  let current = 0;
  return {
    event(e) {
      switch (e.type) {
        case "start":
          score = e.score;
          out.say(`Evolving ${c.bold(e.workspace)} on branch ${c.bold(e.branch)}: generation ${e.generation}, train score ${fixed(e.score)}${e.holdout === null ? "" : `, holdout ${fixed(e.holdout)}`}, ${e.passed}/${e.total} cases pass`);
          // Say what the budget buys before spending it (a budget that silently buys one round surprises people).
          out.say(`  budget: ${e.budget} candidates = at most ${Math.min(e.generations, Math.ceil(e.budget / e.perGeneration))} of ${e.generations} rounds of ${e.perGeneration} candidates`);
          if (e.budget < e.perGeneration) out.say(`  ${c.yellow("warning")}: the budget (${e.budget}) is smaller than one round (${e.perGeneration} candidates): at most one partial round will run; raise --budget`);
          if (wantBar && out.isTTY) {
            bar = new cliProgress.SingleBar({ format: "  candidates {bar} {value}/{total}  score {score}", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
            bar.start(e.budget, 0, { score: fixed(e.score) });
          }
          break;
        case "candidate":
          current = e.evaluated;
          bar?.update(e.evaluated, { score: fixed(score) });
          break;
        case "generation":
          score = e.score;
          log(`  ${c.green(`gen ${e.generation}`)} ${e.commit.slice(0, 10)} score ${fixed(e.score)} (${signed(e.delta)})  ${e.summary}`);
          break;
        case "rollback":
          log(`  ${c.yellow("rollback")} ${e.reverted.slice(0, 10)} -> ${e.commit.slice(0, 10)}: ${e.reason}`);
          break;
        case "rollback-skipped":
          log(`  ${c.yellow("no rollback")} of ${e.commit.slice(0, 10)}: ${e.reason}`);
          break;
        case "alert":
          log(`  ${c.yellow("alert")} gen ${e.alert.generation} ${e.alert.metric}: ${e.alert.message}`);
          break;
        case "reflection":
          if (e.reflection.plan.length > 0) log(`  ${c.dim(`plan: ${e.reflection.plan[0]}${e.reflection.plan.length > 1 ? ` (+${e.reflection.plan.length - 1} more)` : ""}`)}`);
          break;
        case "detour":
          log(`  ${c.dim(`detour ${e.detour}: nothing left around the tip; searching from a neutral variant (${e.variant})`)}`);
          break;
        case "round":
        case "stop":
          break;
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

function printSummary(out: Out, s: RunSummary): void {
  const gens = s.generations.length;
  out.say("");
  out.say(`${c.bold("Done")}: ${s.stopReason}. Train score ${fixed(s.initialScore)} -> ${c.bold(fixed(s.finalScore))}${s.finalHoldout === null ? "" : `, holdout ${fixed(s.initialHoldout)} -> ${fixed(s.finalHoldout)}`}; ${s.passed}/${s.total} cases pass.`);
  out.say(`${gens} generation${gens === 1 ? "" : "s"} accepted in ${s.rounds} round${s.rounds === 1 ? "" : "s"}; ${s.candidates.evaluated} candidates evaluated, ${s.candidates.fromCache} from cache, refused: ${s.candidates.refused.typecheck} type-check, ${s.candidates.refused.build} build, ${s.candidates.refused.safety} safety, ${s.candidates.refused.approval} awaiting approval; ${s.candidates.perSecond} candidates/s over ${(s.wallMs / 1000).toFixed(1)} s.`);
  if (gens > 0) {
    out.say(table([["gen", "commit", "score", "delta", "change"], ...s.generations.map((g) => [`gen-${g.generation}`, g.commit.slice(0, 10), fixed(g.score), signed(g.delta), g.summary])]));
  }
  if (s.stillFailing.length > 0) out.say(`Still failing: ${s.stillFailing.join(", ")}`);
  for (const h of s.held) out.say(`${c.yellow("held")} ${h.id} (${h.lines} changed lines): ${h.description}; commit it with \`evolve approve ${h.id}\``);
  out.say(describeRepair(s.finalScore, s.finalHoldout));
  for (const a of s.alerts) out.say(`${c.yellow("alert")}: ${a.message}`);
  out.say(`History: git -C ${s.workspace} log --format='%h %s%n%(trailers:key=Evolve-Score)'   or   evolve log --workspace ${s.workspace}`);
}

/** The one object `evolve run --json` prints. */
export function jsonOf(s: RunSummary): unknown {
  return {
    workspace: s.workspace,
    branch: s.branch,
    initialCommit: s.initialCommit,
    finalCommit: s.finalCommit,
    initialScore: s.initialScore,
    finalScore: s.finalScore,
    initialHoldout: s.initialHoldout,
    finalHoldout: s.finalHoldout,
    generations: s.generations.map((g) => ({ generation: g.generation, commit: g.commit, tag: g.tag, score: g.score, holdout: g.holdout, delta: g.delta, operator: g.operator, fixed: g.fixed })),
    rounds: s.rounds,
    candidates: s.candidates,
    cache: s.cache,
    stages: s.stages,
    wallMs: s.wallMs,
    stopReason: s.stopReason,
    stopCause: s.stopCause,
    held: s.held,
    stillFailing: s.stillFailing,
    repair: repairStatus(s.finalScore, s.finalHoldout),
    alerts: s.alerts,
    trends: s.trends,
    reflections: s.reflections.map((r) => ({ generation: r.generation, plan: r.plan })),
  };
}
