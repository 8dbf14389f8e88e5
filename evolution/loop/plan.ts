/**
 * Stage 3, plan a round: reflect on what still fails and on which operators worked before, localise
 * the faults (one instrumented run, Ochiai per statement), enumerate the operators' edits and order
 * them by suspiciousness times the reflection's operator factors. The plan's "repair TOOL" lines
 * are then put in the order the round actually pursues them, so the first line names the target
 * of the first candidates. `planRound` does all of it for the loop and turns the order into the
 * round's stream of operator candidates.
 */
import type { ts } from "ts-morph";
import type { FileMap } from "../../kernel/files.js";
import type { Evaluator } from "../../golden-tests/evaluate.js";
import type { Edit } from "../edits.js";
import { candidateStream } from "../candidates.js";
import { analyse, enumerateEdits } from "../analyse.js";
import type { Analysis } from "../analyse.js";
import { instrument, suspiciousness, weightFunction } from "../localise.js";
import { paramWeight } from "../param-weight.js";
import { reflect } from "../reflect.js";
import type { Reflection } from "../reflect.js";
import type { CaseFlags } from "../judge.js";
import type { Rng } from "../rng.js";
import { createTypeChecker, ownTypeErrors } from "../typecheck.js";
import { warn } from "../../kernel/warn.js";
import type { RunState } from "./state.js";
import { operatorsOf } from "./run-parts.js";
import { operatorSource, type CandidateSource } from "./sources.js";
import type { LearningMemory } from "../../memory/store.js";
import { combineFactors, type Situation } from "../../memory/situation.js";
import { recall, recallPlan, roundSituation } from "../memory-hook.js";
// Suspiciousness times the reflection and memory factors; the search policy breaks ties by operator priors.
import { orderEdits } from "../search-policy.js";

export type Weight = (file: string, offset: number) => number;

/** The round's reflection: the plan a person reads and the factors that reorder the edits. */
export function reflectOn(state: RunState): Reflection {
  const toolOf = new Map(state.ws.suite.cases.map((c) => [c.id, c.tool]));
  const failing = state.base.results.filter((r) => !r.pass).map((r) => ({ id: r.id, tool: toolOf.get(r.id) ?? "?", reason: r.reason }));
  return reflect(state.generation, failing, state.tries);
}

/** What planning gives a round. */
export interface RoundPlan {
  operators: CandidateSource;
  /** What the learning memory files this round's outcomes under. */
  situation: Situation | null;
  /** The edits the stream offers, in order; absent when only a model proposes (nothing enumerated). */
  ordered?: readonly Edit[];
}

/**
 * Plan a round on the current base: reflect, then (unless only a model proposes) localise and order
 * the operators' edits into a fresh stream of candidates. The reflection is recorded and announced.
 */
export async function planRound(
  state: RunState,
  evaluator: Evaluator,
  inputs: { evolvable: (p: string) => boolean; program: () => ts.Program; rng: Rng; memory?: LearningMemory | undefined },
): Promise<RoundPlan> {
  const { config } = state.ws;
  if (state.rounds === 1) {
    // Building the analysis program is propose time, whichever step asks for it first.
    const t0 = performance.now();
    warnIllTypedBase(inputs.program(), inputs.evolvable);
    state.stages.propose += performance.now() - t0;
  }
  let reflection = reflectOn(state);
  let planned: RoundPlan;
  if (state.settings.proposer !== "llm") {
    const t0 = performance.now();
    const plan = await planEdits(state, evaluator, reflection, { evolvable: inputs.evolvable, program: inputs.program(), rng: inputs.rng, operators: operatorsOf(config.evolution.operators), memory: inputs.memory });
    state.stages.propose += performance.now() - t0;
    reflection.plan.push(...plan.recalled);
    reflection = planFollowingEdits(reflection, plan.ordered, plan.analysis);
    state.emit({ type: "round", generation: state.generation, round: state.rounds, edits: plan.ordered.length, suspicious: plan.ordered.filter((e) => plan.weight(e.file, e.start) > 0).length });
    const operators = operatorSource(candidateStream(state.ws.files, state.ws.tree, plan.ordered, config.safety.maxChangesPerCycle, state.seen)[Symbol.iterator]());
    planned = { operators, situation: plan.situation, ordered: plan.ordered };
  } else {
    const operators = operatorSource([][Symbol.iterator]());
    const situation = roundSituation(state.base.results, state.ws.suite.cases, state.ws.files, undefined);
    reflection.plan.push(...recallPlan(recall(inputs.memory, situation).recalled));
    planned = { operators, situation };
  }
  state.reflections.push(reflection);
  state.emit({ type: "reflection", reflection });
  return planned;
}

/**
 * The committed code's own type errors, said once per run: candidates are refused only for errors
 * they add (an existing project may carry some), so an error already there stays until a person fixes it.
 */
function warnIllTypedBase(program: ts.Program, evolvable: (p: string) => boolean): void {
  const errors = ownTypeErrors(program, evolvable);
  if (errors.length === 0) return;
  warn(`the committed code does not type-check: ${errors[0]!.replace(/\.$/, "")}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}; candidates are refused only for type errors they add, so this one stays until it is fixed by hand`);
}

/**
 * The program of the current base for analysis (or of `on`, a neutral variant a detour searches
 * from): one warm checker per run, rebased (only what changed re-parsed) when the tree asked for moves.
 */
export function analysisProgram(state: RunState): (on?: { files: FileMap; tree: string }) => ts.Program {
  const checker = createTypeChecker(state.ws.files);
  let tree = state.ws.tree;
  return (on = state.ws) => {
    if (tree !== on.tree) checker.rebase(on.files);
    tree = on.tree;
    return checker.program();
  };
}

/** Edits over the base, most promising first. */
export async function planEdits(
  state: RunState,
  evaluator: Evaluator,
  reflection: Reflection,
  inputs: { evolvable: (p: string) => boolean; program: ts.Program; rng: Rng; operators: Edit["operator"][] | undefined; memory?: LearningMemory | undefined },
): Promise<{ ordered: Edit[]; weight: Weight; analysis: Analysis; situation: Situation | null; recalled: string[] }> {
  const weight = await localise(evaluator, state.ws.files, inputs.evolvable, state.flags);
  const analysis = analyse(state.ws.files, inputs.evolvable, { program: inputs.program });
  const edits = enumerateEdits(analysis, { weight, rng: inputs.rng, operators: inputs.operators });
  // The learning memory's past outcomes in a similar situation multiply the reflection's factors.
  const situation = roundSituation(state.base.results, state.ws.suite.cases, state.ws.files, edits[0]);
  const memory = recall(inputs.memory, situation);
  return { ordered: orderEdits(edits, weight, combineFactors(reflection.factors, memory.factors)), weight, analysis, situation, recalled: recallPlan(memory.recalled) };
}

/** Spectrum-based fault localisation: one instrumented run of the whole suite, Ochiai per statement. */
async function localise(evaluator: Evaluator, files: FileMap, evolvable: (p: string) => boolean, flags: CaseFlags): Promise<Weight> {
  const { files: instrumented, sites } = instrument(files, evolvable);
  const built = await evaluator.build(instrumented);
  if (!built.ok) return () => 0;
  const { measurement, outcomes } = await evaluator.run(built.code, { coverage: true });
  const passed = new Map(measurement.results.map((r) => [r.id, r.pass]));
  // Holdout cases never steer the search: they only veto.
  const runs = outcomes.filter((o) => flags.get(o.id)?.split !== "holdout").map((o) => ({ covered: o.covered ?? [], passed: passed.get(o.id) === true }));
  const susp = suspiciousness(sites, runs);
  return paramWeight(files, sites, susp, weightFunction(sites, susp));
}

/**
 * The reflection with its failing tools (and their "repair" lines) in the order the edits reach
 * them: a tool's rank is the position of the first edit in the file that exports it. Tools no edit
 * reaches keep their place after the others.
 */
export function planFollowingEdits(reflection: Reflection, ordered: readonly Edit[], analysis: Analysis): Reflection {
  const fileOf = exportingFiles(analysis);
  const firstEdit = new Map<string, number>();
  ordered.forEach((e, i) => {
    if (!firstEdit.has(e.file)) firstEdit.set(e.file, i);
  });
  const rank = (tool: string): number => firstEdit.get(fileOf.get(tool) ?? "") ?? Number.POSITIVE_INFINITY;
  const failing = reflection.failing.map((g, i) => ({ g, i })).sort((a, b) => rank(a.g.tool) - rank(b.g.tool) || a.i - b.i).map((x) => x.g);
  const repairs = failing.map((g) => `repair ${g.tool} (${g.cases.length} failing: ${g.cases.join(", ")}): ${g.reason}`);
  const rest = reflection.plan.filter((line) => !line.startsWith("repair "));
  return { ...reflection, failing, plan: repairs.length > 0 ? [...repairs, ...rest] : reflection.plan };
}

/** Exported names of the evolvable sources -> the file exporting them (the first, by path). */
function exportingFiles(analysis: Analysis): Map<string, string> {
  const checker = analysis.checker;
  const out = new Map<string, string>();
  for (const source of analysis.sources) {
    const symbol = checker.getSymbolAtLocation(source.sf);
    if (symbol === undefined) continue;
    for (const e of checker.getExportsOfModule(symbol)) if (!out.has(e.name)) out.set(e.name, source.path);
  }
  return out;
}
