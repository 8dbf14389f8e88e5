/**
 * What an accepted generation says about itself in git: the commit message, its `Evolve-*` trailers
 * and the annotated tag's message. Pure, so the exact text is easy to test and to read back.
 */
/**
 * The figures a generation records about itself (a golden-suite measurement carries these and more;
 * the ledger needs only these, so it does not depend on how they were measured).
 */
export interface RecordedMetrics {
  score: number;
  holdout: number | null;
  passed: number;
  failed: number;
  total: number;
  evalMs: number;
}

/** Trailer keys, in the order they are written. Native git reads them with `%(trailers)`. */
export const TRAILER = {
  generation: "Evolve-Generation",
  parentScore: "Evolve-Parent-Score",
  score: "Evolve-Score",
  delta: "Evolve-Delta",
  holdout: "Evolve-Holdout-Score",
  action: "Evolve-Action",
  proposer: "Evolve-Proposer",
  operator: "Evolve-Operator",
  fixed: "Evolve-Cases-Fixed",
  suiteHash: "Evolve-Suite-Hash",
  model: "Evolve-Model",
  seed: "Evolve-Seed",
  candidates: "Evolve-Candidates",
  reverts: "Evolve-Reverts",
  metrics: "Evolve-Metrics",
  liveRegression: "Evolve-Live-Regression",
} as const;

/** The kinds of improvement action a generation can record. */
export type Action = "init" | "code-modification" | "parameter-adjustment" | "prompt-tuning" | "rollback";

export interface GenerationRecord {
  generation: number;
  action: Action;
  /** One line: what changed. */
  summary: string;
  /** Longer lines for the body (edits, with file:line and old -> new). */
  details: string[];
  parent: RecordedMetrics | null;
  measurement: RecordedMetrics;
  fixed: string[];
  proposer: string;
  operator: string;
  suiteHash: string;
  model: string;
  seed: number;
  /** Candidates evaluated to find this one. */
  candidates: number;
  /** Commit this one reverts, for rollbacks. */
  reverts?: string;
  /**
   * Why a live regression made this rollback: the tests' figures (counts, p-values, levels), written
   * as one JSON trailer so `git log --format=%(trailers)` shows the evidence beside the revert.
   */
  liveRegression?: LiveRegressionTrailer;
}

/** The evidence of a live regression as recorded in a revert's trailer. */
export interface LiveRegressionTrailer {
  /** Generation tested against, and the one reverted. */
  parent: number | null;
  child: number | null;
  alpha: number;
  findings: Array<{ metric: string; test: string; parent: { n: number; value: number; count?: number }; child: { n: number; value: number; count?: number }; p: number; level: number }>;
}

export function trailersOf(r: GenerationRecord): Array<[string, string]> {
  const m = r.measurement;
  const t: Array<[string, string]> = [[TRAILER.generation, String(r.generation)]];
  if (r.parent !== null) t.push([TRAILER.parentScore, String(r.parent.score)]);
  t.push([TRAILER.score, String(m.score)]);
  if (r.parent !== null) t.push([TRAILER.delta, signed(round6(m.score - r.parent.score))]);
  if (m.holdout !== null) t.push([TRAILER.holdout, String(m.holdout)]);
  t.push([TRAILER.action, r.action], [TRAILER.proposer, r.proposer], [TRAILER.operator, r.operator]);
  t.push([TRAILER.fixed, r.fixed.length > 0 ? r.fixed.join(", ") : "none"]);
  t.push([TRAILER.suiteHash, r.suiteHash], [TRAILER.model, r.model], [TRAILER.seed, String(r.seed)]);
  t.push([TRAILER.candidates, String(r.candidates)]);
  if (r.reverts !== undefined) t.push([TRAILER.reverts, r.reverts]);
  if (r.liveRegression !== undefined) t.push([TRAILER.liveRegression, JSON.stringify(r.liveRegression)]);
  const metrics = { score: m.score, holdout: m.holdout, passed: m.passed, failed: m.failed, total: m.total, evalMs: m.evalMs };
  t.push([TRAILER.metrics, JSON.stringify(metrics)]);
  return t;
}

export function subjectOf(r: GenerationRecord): string {
  return `evolve: gen ${r.generation}: ${r.summary}`;
}

export function bodyOf(r: GenerationRecord): string {
  const lines = [...r.details];
  if (r.fixed.length > 0) lines.push(`Fixes: ${r.fixed.join(", ")}`);
  const m = r.measurement;
  const from = r.parent === null ? "" : `${r.parent.score} -> `;
  const holdout = m.holdout === null ? "" : `; holdout ${r.parent?.holdout ?? "-"} -> ${m.holdout}`;
  lines.push(`Train score ${from}${m.score}${holdout}; ${m.passed}/${m.total} cases pass.`);
  return lines.join("\n");
}

export function tagMessageOf(r: GenerationRecord): string {
  const m = r.measurement;
  return `evolve generation ${r.generation}: score ${m.score}${m.holdout === null ? "" : `, holdout ${m.holdout}`}, ${m.passed}/${m.total} pass\n`;
}

/** What a commit's trailers say about the generation it records, read by the module that writes them. */
export interface RecordedGeneration {
  generation: number | null;
  score: number | null;
  parentScore: number | null;
  holdout: number | null;
  action: string | null;
  proposer: string | null;
  operator: string | null;
  suiteHash: string | null;
  model: string | null;
  reverts: string | null;
  fixed: string[];
  /** The `Evolve-Metrics` JSON, when present and an object. */
  metrics: Partial<RecordedMetrics> | null;
}

/** The trailers of one commit read back (null fields where a trailer is absent or malformed); null for a commit evolve did not write. */
export function recordedOf(trailers: ReadonlyMap<string, string>): RecordedGeneration | null {
  if (![...trailers.keys()].some((k) => k.startsWith("Evolve-"))) return null;
  const text = (k: string): string | null => trailers.get(k) ?? null;
  const num = (k: string): number | null => {
    const v = trailers.get(k);
    const n = v === undefined || v.trim() === "" ? Number.NaN : Number(v);
    return Number.isFinite(n) ? n : null;
  };
  const generation = num(TRAILER.generation);
  const fixed = text(TRAILER.fixed);
  return {
    generation: generation !== null && Number.isInteger(generation) ? generation : null,
    score: num(TRAILER.score),
    parentScore: num(TRAILER.parentScore),
    holdout: num(TRAILER.holdout),
    action: text(TRAILER.action),
    proposer: text(TRAILER.proposer),
    operator: text(TRAILER.operator),
    suiteHash: text(TRAILER.suiteHash),
    model: text(TRAILER.model),
    reverts: text(TRAILER.reverts),
    fixed: fixed === null || fixed === "none" ? [] : fixed.split(",").map((s) => s.trim()).filter((s) => s !== ""),
    metrics: parseMetrics(text(TRAILER.metrics)),
  };
}

function parseMetrics(raw: string | null): Partial<RecordedMetrics> | null {
  if (raw === null) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Partial<RecordedMetrics>) : null;
  } catch {
    return null;
  }
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function signed(x: number): string {
  return x >= 0 ? `+${x}` : String(x);
}
