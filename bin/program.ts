/**
 * The `evolve` command line's interface, declared with commander: every command, its arguments and
 * flags. Each action is a thin adapter that imports its command module only when that command is
 * chosen (`evolve log` does not load the TypeScript compiler `evolve run` needs) and goes through
 * `act`, the one wrapper that resolves the workspace flag and records the exit code; errors are
 * turned into a line and an exit code by main (bin/main.ts) through `fail` (bin/output.ts).
 *
 * Adding a command: declare it here with `.action(act(async (args..., o) => (await
 * import("./commands/NAME.js")).nameCommand(args..., o)))`; the module throws EvolveErrors for
 * refusals and failures and may return an exit code (a verdict such as bisect's 125).
 */
import path from "node:path";
import { Command, Option } from "commander";
import { EvolveError } from "../kernel/errors.js";
import { FOR_PROPOSER, modelFlags, nonNegativeInt, positiveInt, PROVIDER_HELP, WAIT_FLAG, WORKSPACE_FLAG } from "./flags.js";
import { invocationCwd, setExitCode, type Io } from "./output.js";
import { declareAroundTheLoop } from "./program-around.js";

/** A command module's entry: resolves when done, with an exit code when it is not 0. */
type Action = (...args: any[]) => Promise<number | void>;

/**
 * The one wrapper around every command: `-C DIR` is `--workspace DIR` (as in git -C), and a
 * relative workspace is resolved against the invocation's directory; a returned number becomes the
 * exit code. Errors propagate to main, which reports them in one place.
 */
export function act(body: Action): (...args: any[]) => Promise<void> {
  return async (...args: any[]) => {
    const opts = args.at(-2) as Record<string, unknown> | undefined;
    if (opts !== undefined && typeof opts === "object") resolveWorkspaceFlag(opts);
    const code = await body(...args);
    if (typeof code === "number") setExitCode(code);
  };
}

function resolveWorkspaceFlag(opts: Record<string, unknown>): void {
  const alias = opts["C"];
  if (typeof alias === "string") {
    if (typeof opts["workspace"] === "string" && opts["workspace"] !== alias) {
      throw new EvolveError("usage", `-C ${alias} and --workspace ${String(opts["workspace"])} name different workspaces; give one`, { flag: "-C" });
    }
    opts["workspace"] = alias;
    delete opts["C"];
  }
  if (typeof opts["workspace"] === "string") opts["workspace"] = path.resolve(invocationCwd(), opts["workspace"]);
}

/** Every command that takes --workspace also takes -C (hidden from help: one spelling is shown). */
function addWorkspaceAlias(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (sub.options.some((o) => o.long === "--workspace")) sub.addOption(new Option("-C <dir>", "the workspace (like git -C)").hideHelp());
    addWorkspaceAlias(sub);
  }
}

/** The program, its output going to `io`. A fresh one per invocation: commander keeps parsed values on it. */
export function buildProgram(io: Io): Command {
  const program = new Command();
  program
    .name("evolve")
    .description("A self-improving local agent that keeps its memory in git: every accepted change is a commit with its metrics.")
    .version("0.1.0")
    .option("--debug", "show the stack of an error (also EVOLVE_DEBUG=1)")
    // Set before the commands are declared: each command inherits both. A usage error is thrown to
    // main (exit 2, like every refusal), never a process.exit, so the CLI can run in process.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // One line: commander's suggestion ("Did you mean eval?") joins the error instead of following it.
      outputError: (s, write) => write(`${s.trim().replace(/\s*\n\s*/g, " ")} (see --help)\n`),
    });

  declareCore(program);
  declareHistory(program);
  declareAgent(program);
  declareInteractions(program);
  declareAroundTheLoop(program);
  program.addOption(new Option("--no-color", "no colours").hideHelp());
  addWorkspaceAlias(program);
  return program;
}


/** Workspaces and measuring: init, run, eval, log, show. */
function declareCore(program: Command): void {
  program
    .command("init")
    .description("create a workspace (a new git repository with evolve.config.yaml, agent/, golden-tests/), or add evolve to an existing project; generation 0 is tagged gen-0")
    .argument("[dir]", "where (default: here); a folder that already holds a project (or is inside a git repository) gets evolve added beside its files")
    .option("--here", "the current folder (same as DIR = .)")
    .option("--bare", "no sample tool and case")
    .option("--example <name>", "start from a bundled example instead of the empty scaffold (a new or empty folder only)")
    .option("--list-examples", "list the bundled examples")
    .option("--json", "print one JSON object on stdout")
    .action(act(async (dir: string | undefined, o: { example?: string; listExamples?: boolean; json?: boolean; here?: boolean; bare?: boolean }) =>
      (await import("./commands/init.js")).initCommand(dir, { example: o.example, json: o.json, list: o.listExamples, here: o.here, bare: o.bare }),
    ));

  const run = program
    .command("run")
    .description("evolve the workspace's agent on its current branch: each accepted generation is a commit with Evolve-* trailers and a gen-N tag")
    .option("-w, --workspace <dir>", "the workspace to evolve (default: the one around the current directory; none: a fresh copy of --example under ./workspaces/)")
    .option("--example <name>", "bundled example used when no workspace is found", "textkit")
    .option("-g, --generations <n>", "maximum generation rounds (config: evolution.generations)", positiveInt)
    .option("-c, --candidates <n>", "candidates per generation round (config: evolution.candidatesPerGeneration)", positiveInt)
    .option("-b, --budget <n>", "maximum candidates in this run (config: evolution.budget)", positiveInt)
    .option("-s, --seed <n>", "seed of the proposer's random choices (config: evolution.seed)", nonNegativeInt)
    .option("--approve-large", "accept changes larger than safety.approvalAboveLines without asking")
    .addOption(new Option("--proposer <kind>", "where candidates come from").choices(["builtin", "llm", "mixed"]).default("builtin"));
  modelFlags(run, { provider: FOR_PROPOSER + PROVIDER_HELP })
    .option("--no-progress", "no progress bar")
    .option("--memory", "order each round by the learning memory (.git/evolve/memory.sqlite) and feed it, as evolve improve does")
    .option("--redis <url>", "evaluate candidates on `evolve worker` processes through this Redis (config: evaluation.redis; password: $EVOLVE_REDIS_PASSWORD)")
    .option(...WAIT_FLAG)
    .option("--json", "end with one JSON object on stdout (workspace, branch, scores, accepted generations)")
    .action(act(async (o) => (await import("./commands/run.js")).runCommand(o)));

  program
    .command("eval")
    .description("measure a commit with the golden suite: per-case table and the score its Evolve-Score trailer records")
    .argument("[ref]", "commit, tag (gen-3) or branch", "HEAD")
    .option(...WORKSPACE_FLAG)
    .option("--suite-ref <ref>", "take golden tests from this ref instead of the measured one")
    .option("--no-cache", "measure afresh even if this tree was measured before")
    .option("--bisect", "exit 0 good, 1 bad, 125 cannot measure: for `git bisect run`")
    .option("--case <id>", "with --bisect: good while this case passes")
    .option("--metric <cond>", 'with --bisect: bad while this holds, e.g. "score<0.9"')
    .option("--json", "print one JSON object on stdout")
    .action(act(async (ref: string, o) => (await import("./commands/eval.js")).evalCommand(ref, o)));

  program
    .command("log")
    .description("the generations of the branch, from their Evolve-* trailers (first-parent history)")
    .option(...WORKSPACE_FLAG)
    .option("-n, --limit <n>", "at most this many commits", positiveInt)
    .option("--ref <ref>", "start from this ref instead of HEAD")
    .option("--all", "also the backup refs evolve reset keeps (refs/evolve/backups/) and every tag")
    .option("--json", "print a JSON array on stdout (with --all: an object {commits, backups, tags})")
    .action(act(async (o) => (await import("./commands/log.js")).logCommand(o)));

}

/** History operations: attempts, rollback, bisect, tag, reset. */
function declareHistory(program: Command): void {
  program
    .command("show")
    .description("one generation: why it was accepted, its recorded metrics, the cases it fixed or broke against its parent, and its diff")
    .argument("[ref]", "commit, tag (gen-3) or branch", "HEAD")
    .option(...WORKSPACE_FLAG)
    .option("--stat", "diff stat only, no patch")
    .option("--no-measure", "do not measure (no fixed/broken cases), only what git records")
    .option("--no-cache", "measure afresh even if these trees were measured before")
    .option("--json", "print one JSON object on stdout")
    .action(act(async (ref: string, o) => (await import("./commands/show.js")).showCommand(ref, o)));

  program
    .command("attempts")
    .description("rejected candidates (git notes under refs/notes/evolve-attempts): operator, score, reason, diff")
    .option(...WORKSPACE_FLAG)
    .option("--gen <n>", "only the candidates for generation N", nonNegativeInt)
    .option("--base <ref>", "only the candidates proposed against this commit")
    .option("--diff", "include each candidate's diff")
    .option("--prune", "apply history.attemptsRetention / history.attemptsPerBase now (old notes become garbage for git gc)")
    .option(...WAIT_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (o) => (await import("./commands/attempts.js")).attemptsCommand(o)));

  program
    .command("rollback")
    .description("revert one generation (any, not only the tip) as a new generation: the tree git revert gives, re-measured, tagged gen-N")
    .argument("<ref>", "the commit or tag to revert, e.g. gen-12")
    .option(...WAIT_FLAG)
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (ref: string, o) => (await import("./commands/rollback.js")).rollbackCommand(ref, o)));

  program
    .command("bisect")
    .description("find the first bad generation between --good and --bad along the first-parent history, reusing cached measurements")
    .requiredOption("--good <ref>", "a commit where the predicate holds")
    .requiredOption("--bad <ref>", "a later commit where it does not")
    .option("--case <id>", "good while this golden case passes")
    .option("--metric <cond>", 'bad while this holds, e.g. "score<0.9" (score, holdout, passed, failed, evalMs)')
    .option("--suite-ref <ref>", "judge every commit with the golden tests of this ref (default: each commit's own)")
    .option("--no-cache", "measure every commit afresh")
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout (firstBad.commit names the culprit; evaluations are counted)")
    .action(act(async (o) => (await import("./commands/bisect.js")).bisectCommand(o)));

  program
    .command("tag")
    .description("tag HEAD known-good after re-running the golden suite (cache bypassed): refused if a mustPass case fails or runs differ")
    .argument("<name>", "the tag name, e.g. known-good")
    .option("-r, --repeats <n>", "suite runs (config: history.tagRepeats)", positiveInt)
    .option("--ref <ref>", "tag this commit instead of HEAD")
    .option(...WAIT_FLAG)
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (name: string, o) => (await import("./commands/tag.js")).tagCommand(name, o)));

  program
    .command("reset")
    .description("move the current branch and the work tree to a tag or commit, keeping the old tip under refs/evolve/backups/")
    .requiredOption("--to <ref>", "where to go, e.g. known-good")
    .option("--force", "discard uncommitted changes (they are saved in a backup commit first)")
    .option(...WAIT_FLAG)
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (o) => (await import("./commands/reset.js")).resetCommand(o)));

}

/** The model flags ask, chat and doctor share (they override the config's `model` section). */
function modelOptions(cmd: Command): Command {
  return modelFlags(cmd.option(...WORKSPACE_FLAG))
    .option("--snap <dir>", "put a snapshot of this TypeScript project into the system prompt ({{context}})")
    .option("--snap-budget <tokens>", "token budget of that snapshot (default 1500)", positiveInt);
}


/** The agent and its model: ask, chat, doctor, tune. */
function declareAgent(program: Command): void {
  modelOptions(program.command("ask").description("the agent answers one request with its model, prompt and tools (tools run in the sandbox); the answer streams to stdout"))
    .argument("<prompt>", "the request")
    .option("--max-steps <n>", "model replies at most, tool calls included (params.json: maxSteps, default 4)", positiveInt)
    .option("--no-record", "do not record this request in the interaction store (config: interactions.record)")
    .option("--json", "print one JSON object on stdout (answer, steps, tokens, interaction id, conversation); the answer streams to stderr")
    .action(act(async (prompt: string, o) => (await import("./commands/ask.js")).askCommand(prompt, o)));

  modelOptions(program.command("chat").description("talk to the agent: one request per line of stdin, earlier turns kept as context; /exit to leave, /reset to forget, /good, /bad [expected answer], /rate 1-5 on the last answer"))
    .option("--max-steps <n>", "model replies at most per request (params.json: maxSteps, default 4)", positiveInt)
    .option("--no-record", "do not record the conversation in the interaction store (config: interactions.record)")
    .action(act(async (o) => (await import("./commands/chat.js")).chatCommand(o)));

  modelOptions(program.command("doctor").description("check the configured (or flagged) model: file missing, server down, model not pulled; exit 0 ok, 1 problem"))
    .option("--json", "print one JSON object on stdout")
    .action(act(async (o) => (await import("./commands/doctor.js")).doctorCommand(o)));

  modelOptions(program.command("tune").description("prompt tuning and parameter search on the agent-level cases: each variant is A/B-tested against the tip; a significant improvement becomes gen-N"))
    .option("--rounds <n>", "rounds at most; each commits at most one generation (default 3)", positiveInt)
    .option("--repeats <n>", "runs per case when sampling is stochastic (temperature > 0), default 3", positiveInt)
    .option("--alpha <p>", "significance level of the paired sign test (default 0.05)", Number)
    .option(...WAIT_FLAG)
    .option("--json", "end with one JSON object on stdout (generations with their A/B figures, cache counts)")
    .action(act(async (o) => (await import("./commands/tune.js")).tuneCommand(o)));

}

/** Learning from use: feedback, interactions, stats, promote; and snapshot. */
function declareInteractions(program: Command): void {
  program
    .command("feedback")
    .description("say whether a recorded interaction's answer was right: --good, --bad (with --expected TEXT), or --rating 1-5")
    .argument("<id>", "the interaction id (evolve interactions lists them; ask and chat print them)")
    .option("--good", "the answer was right")
    .option("--bad", "the answer was wrong")
    .option("--rating <n>", "a rating from 1 (useless) to 5 (perfect)", Number)
    .option("--expected <text>", "with --bad or a low rating: the answer that was expected (evolve promote makes it a golden case)")
    .option("--note <text>", "a remark kept with the feedback")
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (id: string, o) => (await import("./commands/feedback.js")).feedbackCommand(id, o)));

  const interactions = program
    .command("interactions")
    .description("recorded requests (evolve ask, evolve chat): request, answer, tools, latency, outcome, feedback; with ID, one in full")
    .argument("[id]", "show this interaction in full")
    .option("--since <when>", "only those started since: a duration back from now (30m, 24h, 7d) or a date (2026-11-30)")
    .option("-n, --limit <n>", "at most this many, newest first (default 50)", positiveInt)
    .option(...WORKSPACE_FLAG)
    .option("--json", "print JSON on stdout (an array, or one object with ID)")
    .action(act(async (id: string | undefined, o) => (await import("./commands/interactions.js")).interactionsCommand(id, o)));

  interactions
    .command("purge")
    .description("delete the interactions started before a date, with their tool calls and feedback, and compact the store so their text leaves the disk")
    .requiredOption("--before <when>", "a date (2026-11-30, midnight UTC) or a duration back from now (90d)")
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    // The parent's --workspace and --json are parsed by the parent wherever they appear.
    .action(act(async (o, cmd: Command) => (await import("./commands/interactions.js")).purgeCommand({ ...(cmd.parent?.opts() ?? {}), ...o })));

  program
    .command("stats")
    .description("live metrics of the agent from recorded interactions: response time (median, p95), error and task success rates (95% intervals), satisfaction, alerts, trend, live regressions per generation")
    .option("--since <when>", "only interactions since: a duration back from now (24h, 7d) or a date (2026-11-30)")
    .addOption(new Option("--by <what>", "one row per generation (with a live regression test against the previous one) or per UTC day").choices(["generation", "day"]))
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (o) => (await import("./commands/stats.js")).statsCommand(o)));

  program
    .command("promote")
    .description("turn a recorded interaction into an agent-level golden case (golden-tests/promoted.yaml): shown, then committed as a user commit once confirmed")
    .argument("<id>", "the interaction id")
    .addOption(new Option("--split <split>", "train or holdout (default: a stable hash of the request, one in four held out)").choices(["train", "holdout"]))
    .option("--expected <text>", "the expected answer (default: from the feedback; a good answer guards itself)")
    .option("-y, --yes", "commit without asking")
    .option(...WAIT_FLAG)
    .option(...WORKSPACE_FLAG)
    .option("--json", "print one JSON object on stdout")
    .action(act(async (id: string, o) => (await import("./commands/promote.js")).promoteCommand(id, o)));

  program
    .command("snapshot")
    .description("the compact map of the agent's evolvable code a model sees (signatures, prompts, params), printed and written to snapshots/<commit>.md")
    .option(...WORKSPACE_FLAG)
    .option("--budget <n>", "token budget (chars/4), default 4000", positiveInt)
    .option("--target <dir>", "snapshot another TypeScript project instead of the workspace")
    .option("--json", "print one JSON object on stdout")
    .action(act(async (o) => (await import("./commands/snapshot.js")).snapshotCommand(o)));

}
