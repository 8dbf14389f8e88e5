/**
 * Neutral moves and restarts: what the built-in search does at a dead end instead of stopping.
 *
 * A candidate that changes the code but not which cases pass is a neutral variant of the tip. On
 * its own it is not worth a generation, yet some fixes need one as a first step (two edits, each
 * useless alone, at lines the pair pools did not reach). The loop keeps a small archive of such
 * variants of the current tip: at distinct statements, in the order the search met them (most
 * suspicious first). When the tip's own neighbourhood (its single edits, then pairs around its most
 * suspicious lines) is exhausted, the search takes one variant, localises again on the variant's code
 * and tries its single edits. A candidate found there is rebased on the tip (both edits, one diff
 * against the committed code), so the gates, the judge and the ledger see an ordinary two-edit
 * candidate judged against the tip: nothing uncommitted is ever a base for a commit, and a neutral
 * move alone is never committed. When a variant's neighbourhood runs dry, the search restarts from
 * the tip with the next variant; when none is left, the run stops. A commit starts a new archive.
 */
import type { Measurement } from "../../golden-tests/evaluate.js";
import type { Evaluator } from "../../golden-tests/evaluate.js";
import { builtinOrigin, candidateStream, combinationStream, externalCandidate, PAIR_POOL } from "../candidates.js";
import type { Candidate } from "../candidates.js";
import type { Edit } from "../edits.js";
import { focusedPairs } from "../search-policy.js";
import type { Rng } from "../rng.js";
import type { ts } from "ts-morph";
import { planEdits, reflectOn } from "./plan.js";
import { operatorsOf } from "./run-parts.js";
import { operatorSource } from "./sources.js";
import type { CandidateSource } from "./sources.js";
import type { RunState, Tried } from "./state.js";
import type { FileMap } from "../../kernel/files.js";

/** Neutral variants kept per tip: each costs a localisation run and a stream of single edits when used. */
export const NEUTRAL_ARCHIVE = 8;

/** A neutral variant of the tip: built, type-checked and measured, with the tip's passing cases exactly. */
export interface NeutralVariant {
  candidate: Candidate;
  tree: string;
  measurement: Measurement;
}

/** Where the search stands on the current tip; a commit resets it (`searchOn`). */
export interface SearchState {
  /** The commit searched around. */
  tip: string;
  /** The tip's edits in the order its stream offered them (the focused pairs are drawn from them). */
  ordered: readonly Edit[];
  /** The focused pairs around the tip's most suspicious lines were offered. */
  escalated: boolean;
  /** Neutral variants not yet searched from. */
  variants: NeutralVariant[];
  /** Locations (file:line) of every variant archived on this tip, so the archive stays diverse. */
  places: Set<string>;
  /** The variant whose neighbourhood is being searched, if any. */
  detour: NeutralVariant | null;
  /** Variants searched from on this tip. */
  detours: number;
}

/**
 * The search after (re)planning on `tip`: on the same tip (reflection's periodic re-plan) the
 * archive is kept, on a new one everything starts again.
 */
export function searchOn(tip: string, ordered: readonly Edit[], was: SearchState | null = null): SearchState {
  if (was !== null && was.tip === tip) return { ...was, ordered };
  return { tip, ordered, escalated: false, variants: [], places: new Set(), detour: null, detours: 0 };
}

/** At a dead end the loop follows the streams afterDeadEnd gives; reflection must not replace them. */
export function atDeadEnd(search: SearchState): boolean {
  return search.escalated;
}

/**
 * Adds the round's neutral variants to the archive: single built-in edits of the tip (not of a
 * variant: one neutral step at most), measured with the same passing cases, at a statement not
 * already archived, while there is room.
 */
export function archiveNeutral(search: SearchState, tried: readonly Tried[], base: Measurement): void {
  if (search.detour !== null) return;
  const passing = passSet(base);
  for (const t of tried) {
    if (search.places.size >= NEUTRAL_ARCHIVE) return;
    const { candidate: c, measurement: m } = t;
    if (m === null || (t.stage !== "evaluate" && t.stage !== "cache") || c.origin.proposer !== "builtin" || c.edits.length !== 1) continue;
    if (passSet(m) !== passing) continue;
    const place = `${c.edits[0]!.file}:${c.edits[0]!.line}`;
    if (search.places.has(place)) continue;
    search.places.add(place);
    search.variants.push({ candidate: c, tree: t.tree, measurement: m });
  }
}

function passSet(m: Measurement): string {
  return m.results.filter((r) => r.pass).map((r) => r.id).sort().join("\n");
}

/** What planning a detour needs from the loop. */
export interface DetourInputs {
  evaluator: Evaluator;
  evolvable: (p: string) => boolean;
  /** The analysis program of the given files (the loop's warm checker, rebased). */
  program: (on: { files: FileMap; tree: string }) => ts.Program;
  rng: Rng;
}

/**
 * The next stream when the current one ran dry without a winner: the focused pairs of the tip, then
 * the neighbourhood of each archived variant in turn; null when the search has nothing left.
 */
export async function afterDeadEnd(state: RunState, search: SearchState, inputs: DetourInputs): Promise<CandidateSource | null> {
  if (!search.escalated) {
    search.escalated = true;
    return operatorSource(combinationStream(state.ws.files, state.ws.tree, focusedPairs(search.ordered, PAIR_POOL), state.seen)[Symbol.iterator]());
  }
  // A variant plus one edit is two edits: a change limit of one leaves nothing to find there.
  if (state.ws.config.safety.maxChangesPerCycle < 2) return null;
  const variant = search.variants.shift();
  if (variant === undefined) return null;
  search.detour = variant;
  search.detours += 1;
  return detourSource(state, variant, inputs, search.detours);
}

/** The reason a run stops at a dead end, naming the variants searched. */
export function deadEndReason(search: SearchState): string {
  const base = "no candidate left to try from this tree";
  return search.detours === 0 ? base : `${base} or from ${search.detours} neutral variant${search.detours === 1 ? "" : "s"} of it`;
}

async function detourSource(state: RunState, variant: NeutralVariant, inputs: DetourInputs, n: number): Promise<CandidateSource> {
  const on = { files: variant.candidate.files, tree: variant.tree };
  // The variant's own view: its code, and its measurement (the same passing cases as the tip).
  const view: RunState = { ...state, ws: { ...state.ws, ...on }, base: variant.measurement };
  const t0 = performance.now();
  const plan = await planEdits(view, inputs.evaluator, reflectOn(state), { evolvable: inputs.evolvable, program: inputs.program(on), rng: inputs.rng, operators: operatorsOf(state.ws.config.evolution.operators) });
  state.stages.propose += performance.now() - t0;
  state.emit({ type: "detour", generation: state.generation, detour: n, variant: variant.candidate.origin.description, edits: plan.ordered.length });
  const local = new Set<string>();
  function* rebased(): Generator<Candidate> {
    for (const c of candidateStream(on.files, on.tree, plan.ordered, 1, local)) {
      const r = onTip(c, variant, state.ws, state.seen);
      if (r !== null) yield r;
    }
  }
  return operatorSource(rebased());
}

/**
 * A candidate made on a variant, as a candidate of the tip: both edits, the paths that differ from
 * the tip, hashed against the tip's tree; null when it undoes the variant or was produced before.
 */
export function onTip(c: Candidate, variant: NeutralVariant, tip: { files: FileMap; tree: string }, seen: Set<string>): Candidate | null {
  const edits = [...variant.candidate.edits, ...c.edits];
  const rebased = externalCandidate(tip.files, tip.tree, c.files, builtinOrigin(edits), seen);
  return rebased === null ? null : { ...rebased, edits };
}
