/**
 * `npm run bench`: the evolve-run pipeline benchmark (bench/pipeline.ts, in a process of its own so
 * its timings do not share a heap with ours) and the history benchmarks (bench/history.ts).
 *
 *   npm run bench                          readable report
 *   npm run -s bench -- --json             one JSON object on stdout (-s: without npm's banner): the
 *                                          pipeline's fields at the top level (candidatesPerSecond,
 *                                          naiveRatio, ...) and `history`
 *   npm run bench -- --quick               fewer repeats and samples
 *   npm run bench -- --only history        one part: pipeline | history | llm (the real test model; skipped when absent) | interactions | serve
 *                                          | queue (distributed evaluation on a throwaway redis-server; skipped when absent)
 *                                          | memory (candidates to first repair with and without the learning memory)
 *                                          | startup (evolve --help, log and eval against node -e '')
 *   npm run bench -- --repeats N --naive N passed on to the pipeline benchmark
 *   npm run bench -- --only repair [--budget 400,2000] [--baseline REF] [--programs a,b]
 *                                          the repair benchmark (bench/repair.ts); never part of a full run
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { historyBench, historyTable } from "./history.js";
import { llmBench } from "./llm.js";
import type { LlmBenchResult } from "./llm.js";
import type { HistoryResult } from "./history.js";
import { interactionsBench, type InteractionsBenchResult } from "./interactions.js";
import { serveBench, type ServeBenchResult } from "./serve.js";
import { queueBench, type QueueBenchResult } from "./queue.js";
import { memoryBench, type MemoryBenchResult } from "./memory.js";
import { repairBench, type RepairBenchResult } from "./repair.js";
import { startupBench, type StartupResult } from "./startup.js";

interface Args {
  json: boolean;
  quick: boolean;
  only: "pipeline" | "history" | "llm" | "interactions" | "serve" | "queue" | "memory" | "repair" | "startup" | null;
  pipelineArgs: string[];
  repair: { budgets: number[]; baseline: string | null; programs: string[] | null };
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, quick: false, only: null, pipelineArgs: [], repair: { budgets: [400, 2000], baseline: null, programs: null } };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") args.json = true;
    else if (a === "--quick") args.quick = true;
    else if (a === "--only") {
      const v = argv[++i];
      if (v !== "pipeline" && v !== "history" && v !== "llm" && v !== "interactions" && v !== "serve" && v !== "queue" && v !== "memory" && v !== "repair" && v !== "startup") throw new Error(`bench: --only takes pipeline, history, llm, interactions, serve, queue, memory, repair or startup, got ${v ?? "nothing"}`);
      args.only = v;
    } else if (a === "--budget") {
      const v = argv[++i];
      if (v === undefined || !/^[1-9]\d*(,[1-9]\d*)*$/.test(v)) throw new Error(`bench: --budget takes whole numbers >= 1 separated by commas, got ${v ?? "nothing"}`);
      args.repair.budgets = v.split(",").map(Number);
    } else if (a === "--baseline" || a === "--programs") {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`bench: ${a} takes a value`);
      if (a === "--baseline") args.repair.baseline = v;
      else args.repair.programs = v.split(",");
    } else if (a === "--repeats" || a === "--naive") {
      const v = argv[++i];
      if (v === undefined || !/^[1-9]\d*$/.test(v)) throw new Error(`bench: ${a} takes a whole number >= 1, got ${v ?? "nothing"}`);
      args.pipelineArgs.push(a, v);
    } else throw new Error(`bench: unknown argument ${a}; expected --json, --quick, --only pipeline|history|llm|interactions|serve|queue|memory|repair|startup, --repeats N, --naive N, --budget N[,N], --baseline REF, --programs a,b`);
  }
  if (args.quick && !args.pipelineArgs.includes("--repeats")) args.pipelineArgs.push("--repeats", "1");
  if (args.quick && !args.pipelineArgs.includes("--naive")) args.pipelineArgs.push("--naive", "3");
  return args;
}

/** Run dist/bench/pipeline.js; with `json`, its progress goes to stderr and its one JSON object is returned. */
function pipeline(args: readonly string[], json: boolean): Promise<Record<string, unknown> | null> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "pipeline.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args, ...(json ? ["--json"] : [])], { stdio: ["ignore", json ? "pipe" : "inherit", "inherit"] });
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", reject);
    child.on("close", (status) => {
      if (status !== 0) return reject(new Error(`bench: ${script} exited ${status}`));
      if (!json) return resolve(null);
      try {
        resolve(JSON.parse(out) as Record<string, unknown>);
      } catch (error) {
        reject(new Error(`bench: ${script} --json did not print one JSON object: ${(error as Error).message}`));
      }
    });
  });
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const started = performance.now();
  const say = (s: string) => (args.json ? process.stderr : process.stdout).write(`${s}\n`);
  let piped: Record<string, unknown> | null = null;
  if (args.only === null || args.only === "pipeline") piped = await pipeline(args.pipelineArgs, args.json);
  let history: HistoryResult | null = null;
  if (args.only === null || args.only === "history") {
    say("");
    say(`history bench${args.quick ? " (quick)" : ""}:`);
    history = await historyBench({ quick: args.quick, say });
    say("");
    say(historyTable(history));
  }
  let llm: LlmBenchResult | null = null;
  if (args.only === null || args.only === "llm") {
    say("");
    say("llm bench:");
    llm = await llmBench(say);
  }
  let interactions: InteractionsBenchResult | null = null;
  if (args.only === null || args.only === "interactions") {
    say("");
    say(`interactions bench${args.quick ? " (quick)" : ""}:`);
    interactions = await interactionsBench({ quick: args.quick, say });
  }
  let serve: ServeBenchResult | null = null;
  if (args.only === null || args.only === "serve") {
    say("");
    say(`serve bench${args.quick ? " (quick)" : ""}:`);
    serve = await serveBench({ quick: args.quick, say });
  }
  let queue: QueueBenchResult | null = null;
  if (args.only === null || args.only === "queue") {
    say("");
    say(`queue bench${args.quick ? " (quick)" : ""}:`);
    queue = await queueBench({ quick: args.quick, say });
  }
  let memory: MemoryBenchResult | null = null;
  if (args.only === null || args.only === "memory") {
    say("");
    say(`learning memory bench${args.quick ? " (quick)" : ""}:`);
    memory = await memoryBench({ quick: args.quick, say });
  }
  let repair: RepairBenchResult | null = null;
  if (args.only === "repair") {
    say("");
    say(`repair bench (budgets ${args.repair.budgets.join(", ")}${args.repair.baseline === null ? "" : `, baseline ${args.repair.baseline}`}):`);
    repair = await repairBench({ ...args.repair, say });
  }
  let startup: StartupResult | null = null;
  if (args.only === null || args.only === "startup") {
    say("");
    say(`startup bench${args.quick ? " (quick)" : ""}:`);
    startup = await startupBench({ quick: args.quick, say });
  }
  const wallMs = Math.round(performance.now() - started);
  say(`\nbench finished in ${(wallMs / 1000).toFixed(1)} s`);
  if (args.json) process.stdout.write(`${JSON.stringify({ ...(piped ?? {}), ...(history === null ? {} : { history }), ...(llm === null ? {} : { llm }), ...(interactions === null ? {} : { interactions }), ...(serve === null ? {} : { serve }), ...(queue === null ? {} : { queue }), ...(memory === null ? {} : { memory }), ...(repair === null ? {} : { repair }), ...(startup === null ? {} : { startup }), benchWallMs: wallMs }, null, 2)}\n`);
}

await main();
