/**
 * The commands around the run loop, declared like those of program.ts (each action through `act`):
 * approving held candidates, recording cases, the HTML report, and the always-on commands (serve,
 * watch, worker, improve, memory).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { FOR_PROPOSER, modelFlags, positiveInt, PROVIDER_HELP, WAIT_FLAG, WORKSPACE_FLAG } from "./flags.js";
import { act } from "./program.js";

export function declareAroundTheLoop(program: Command): void {
  declareAroundRuns(program);
  declareAlwaysOn(program);
  declareCases(program);
  declareImprovement(program);
}

/** Evaluating a coordinator's jobs, reporting on the runs, approving the candidates they held. */
function declareAroundRuns(program: Command): void {
  program
    .command("worker")
    .description("evaluate candidates for `evolve run --redis URL` coordinators until stopped (SIGINT/SIGTERM finish running jobs first)")
    .requiredOption("--redis <url>", "redis://host:port or rediss:// (TLS); password in $EVOLVE_REDIS_PASSWORD or the URL")
    .option("--concurrency <n>", "jobs at once, and sandbox processes (default 2)", positiveInt)
    .option("--suite <hash>", "refuse jobs from any other golden suite (its Evolve-Suite-Hash)")
    .option("--lock-ms <n>", "job lock period: a killed worker's job runs elsewhere 1-2 periods later (default 10000)", positiveInt)
    .action(act(async (o) => (await import("./commands/worker.js")).workerCommand(o)));

  program
    .command("report")
    .description("write one self-contained HTML report: scores per generation, live metrics, accepted changes with diffs, rejected attempts, A/B tests, alerts and recommendations")
    .option(...WORKSPACE_FLAG)
    .option("-o, --out <file>", "the HTML file to write (default: .git/evolve/report.html, outside the work tree)")
    .option("--since <duration|date>", "only generations, attempts and interactions since then (24h, 7d, 2026-11-01)")
    .option("--json", "print {file, bytes, report} on stdout, the report as data")
    .action(act(async (o) => (await import("./commands/report.js")).reportCommand(o)));

  program
    .command("approve")
    .description("commit a candidate a run held for approval (diff above safety.approvalAboveLines) as the next generation, if it still applies and still improves the tip; without ID, list them")
    .argument("[id]", "the held candidate's id (its tree id, 4+ hex digits, as the run summary and evolve attempts show it)")
    .option(...WORKSPACE_FLAG)
    .option(...WAIT_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (id, o) => (await import("./commands/approve.js")).approveCommand(id, o)));
}

/** Serving the agent and improving it in the background. */
function declareAlwaysOn(program: Command): void {
  const serve = program
    .command("serve")
    .description("serve the agent behind an OpenAI-compatible endpoint (POST /v1/chat/completions, GET /v1/models, POST /v1/feedback); every request recorded; new generations served as they are committed")
    .option(...WORKSPACE_FLAG);
  modelFlags(serve)
    .option("--host <address>", "address to bind (config: serve.host, default 127.0.0.1); anything but loopback requires a bearer token")
    .option("--port <n>", "port (config: serve.port, default 8080; 0 = any free port)", (v: string) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError("expected a port number 0-65535");
      return n;
    })
    .option("--token <token>", "require Authorization: Bearer TOKEN (default: none on loopback, a generated one printed at start elsewhere)")
    .option("--no-record", "do not record requests in the interaction store (config: interactions.record)")
    .option("--improve", "also improve in the background, as evolve watch does; new generations are served as they are committed")
    .addOption(new Option("--proposer <kind>", "with --improve: where candidates come from").choices(["builtin", "llm", "mixed"]))
    .action(act(async (o) => (await import("./commands/serve.js")).serveCommand(o)));

  const watch = program
    .command("watch")
    .description("improve in the background: a committed change to golden tests, evolvable files or the config that leaves cases failing, the schedule (reflection.interval: 1h) or bad feedback (watch.badFeedback) starts an improvement cycle; live regressions are reverted")
    .option(...WORKSPACE_FLAG)
    .addOption(new Option("--proposer <kind>", "where candidates come from (as evolve run)").choices(["builtin", "llm", "mixed"]));
  modelFlags(watch, { provider: FOR_PROPOSER + PROVIDER_HELP, model: `${FOR_PROPOSER}a GGUF file or a served model name (config: model.name)` })
    .action(act(async (o) => (await import("./commands/watch.js")).watchCommand(o)));
}

function declareCases(program: Command): void {
  const cases = program.command("cases").description("golden cases: record what a tool does now as a case");
  cases
    .command("record")
    .description("run TOOL in the sandbox on ARGS (each JSON if it parses, else a string) and pin its output (or its error) as a golden case: shown, then committed once confirmed")
    .argument("<tool>", "the exported function to call")
    .argument("[args...]", "its arguments")
    .option("--file <path>", "the case file under golden-tests/ (default golden-tests/recorded.yaml)")
    .option("--id <id>", "the case id (default TOOL-N)")
    .option("-y, --yes", "commit without asking")
    .option(...WAIT_FLAG)
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (tool: string, args: string[], o) => (await import("./commands/cases.js")).recordCommand(tool, args, o)));
}

/** One improvement cycle, and the memory of what repaired what across cycles. */
function declareImprovement(program: Command): void {
  const improve = program
    .command("improve")
    .description("one improvement cycle: revert a live regression, cluster recent failed interactions, reflect (with a model: its own prompt and parameter proposals), run code generations and A/B-gated tuning, and say which interactions motivated which change")
    .option("--since <when>", "interactions since: a duration back from now (24h, 7d) or a date (default 7d)")
    .option("-g, --generations <n>", "code generation rounds (default 3)", positiveInt)
    .option("-b, --budget <n>", "candidates for the code generations (config: evolution.budget)", positiveInt)
    .option("--tune-rounds <n>", "tuning rounds (default 1)", positiveInt)
    .option("--repeats <n>", "tuning: runs per case when sampling is stochastic", positiveInt)
    .option("--max-variants <n>", "tuning: variants per round at most (the model's proposals first)", positiveInt);
  modelFlags(improve)
    .option(...WAIT_FLAG)
    .option(...WORKSPACE_FLAG)
    .option("--json", "end with one JSON object on stdout (clusters, plan, changes and their motivation)")
    .action(act(async (o) => (await import("./commands/improve.js")).improveCommand(o)));

  program
    .command("memory")
    .description("the learning memory: which actions repaired which situations (failing tool, failure kind, assertion, code shape) across runs")
    .option("--limit <n>", "newest outcomes shown (default 10)", positiveInt)
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (o) => (await import("./commands/memory.js")).memoryCommand(o)));
}
