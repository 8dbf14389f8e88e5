/**
 * Where candidates come from. Each source implements CandidateSource: the built-in operators'
 * ordered edit stream, a model's schema-constrained proposals, the tuning variants, and candidates
 * held for approval earlier. The scheduler pulls from the sources of a round in order and knows
 * nothing of how each one makes its candidates.
 */
import type { FileMap } from "../../kernel/files.js";
import type { Provider } from "../../agent/llm/index.js";
import type { AttemptRecord } from "../../ledger/index.js";
import { externalCandidate } from "../candidates.js";
import type { Candidate } from "../candidates.js";
import { proposeWithLlm } from "../llm-proposer.js";
import type { ProposerContext } from "../llm-proposer.js";
import { paramVariants, promptVariants } from "../../tuning/tune.js";

/** What a source knows about the round it is asked for. */
export interface RoundInfo {
  generation: number;
  round: number;
  /** The base commit the candidates are made against. */
  base: string;
}

export interface CandidateSource {
  /** For messages and attempts: "operators", "llm", "tune", "held". */
  readonly name: string;
  /** Called once at the start of each round, before the first `next` (a model proposes its batch here). */
  prepare?(round: RoundInfo): Promise<void>;
  /** The next candidate of this round, or null when the source has none left this round. */
  next(): Candidate | null;
  /** True once the source can never yield again from this base (an operator stream run dry); a model never is. */
  exhausted(): boolean;
  /** Proposals that could not become candidates this round (a model's unusable answers), to record as attempts. */
  drainUnusable?(): AttemptRecord[];
}

/** The built-in operators: an ordered, lazily applied stream of single edits and their combinations. */
export function operatorSource(stream: Iterator<Candidate>): CandidateSource {
  let done = false;
  return {
    name: "operators",
    next() {
      if (done) return null;
      const r = stream.next();
      if (r.done === true) {
        done = true;
        return null;
      }
      return r.value;
    },
    exhausted: () => done,
  };
}

/** A local model's edit proposals: a fresh batch every round, each validated and applied whole or kept as an unusable attempt. */
export function llmSource(
  provider: Provider,
  context: () => Promise<ProposerContext>,
  options: { count: number; seed: number; base: () => { files: FileMap; tree: string }; seen: Set<string> },
): CandidateSource {
  let batch: Candidate[] = [];
  let unusable: AttemptRecord[] = [];
  return {
    name: "llm",
    async prepare(round) {
      batch = [];
      const answers = await proposeWithLlm(provider, await context(), { count: options.count, temperature: 0.8, seed: options.seed + round.round * 1009 });
      const { files, tree } = options.base();
      for (const answer of answers) {
        if (!answer.ok) {
          // Output that does not validate or apply is never half-used; it is kept with its reason.
          unusable.push({ generation: round.generation, base: round.base, tree: "", operator: "llm-edit", proposer: "llm", description: "unusable model answer", diff: "", score: null, holdout: null, reason: `proposal: ${answer.reason}`, metrics: { stage: "proposal", raw: answer.raw.slice(0, 2000) }, at: new Date().toISOString() });
          continue;
        }
        const origin = { proposer: "llm" as const, operator: "llm-edit", description: answer.candidate.description, changes: answer.candidate.ops.length };
        const c = externalCandidate(files, tree, answer.candidate.files, origin, options.seen);
        if (c !== null) batch.push(c);
      }
    },
    next: () => batch.shift() ?? null,
    exhausted: () => false,
    drainUnusable() {
      const out = unusable;
      unusable = [];
      return out;
    },
  };
}

/** Prompt rewrites and one-parameter steps as candidates (the variants `evolve tune` A/B-tests). */
export function tuningSource(files: FileMap, tree: string, seen: Set<string>): CandidateSource {
  const variants = [...paramVariants(files), ...promptVariants(files)];
  let i = 0;
  return {
    name: "tune",
    next() {
      while (i < variants.length) {
        const v = variants[i++]!;
        const next = new Map(files);
        for (const [p, t] of v.changes) next.set(p, t);
        const c = externalCandidate(files, tree, next, { proposer: "tune", operator: v.operator, description: v.description, changes: v.changes.size }, seen);
        if (c !== null) return c;
      }
      return null;
    },
    exhausted: () => i >= variants.length,
  };
}

/** Candidates from a list (held ones re-offered, one approved by id): each yielded once. */
export function listSource(name: string, candidates: readonly Candidate[]): CandidateSource {
  const queue = [...candidates];
  return { name, next: () => queue.shift() ?? null, exhausted: () => queue.length === 0 };
}
