/**
 * Find the generation that broke something: binary search over the first-parent chain, like
 * `git bisect run`, with verdicts from any predicate (a case that must pass, a metric bound).
 * `bisect` is the pure search; `bisectRange` only turns two revisions into the chain.
 */
import { firstParentRange, resolveRef } from "../ledger/index.js";

/** A commit's verdict: good, bad, or "skip" when it cannot be measured (e.g. it does not build). */
export type Verdict = boolean | "skip";

/** One commit looked at during the search, in order. */
export interface BisectStep {
  readonly commit: string;
  readonly verdict: Verdict;
  /** The verdict came from `options.verdicts`, so isGood was not called. */
  readonly cached?: true;
}

/** The outcome of a bisection. */
export interface BisectResult {
  /** The first bad commit of the chain; null when the preconditions fail or skips leave it ambiguous. */
  firstBad: string | null;
  /** How many times isGood was called (memoised verdicts are not counted). */
  evaluations: number;
  /** When skipped commits make the answer ambiguous: the commits that may be the first bad one, oldest first. */
  candidates?: string[];
  /** Why firstBad is null, in one line. */
  reason?: string;
  steps: BisectStep[];
}

/** Options of bisect. */
export interface BisectOptions {
  /**
   * The good boundary: the commit just before `chain[0]`. Evaluated once to check it is good,
   * unless `knownGood`. Without it the commit before the chain is taken to be good unchecked.
   */
  good?: string;
  /** Trust that `good` is good (no evaluation). */
  knownGood?: boolean;
  /** Trust that the last commit of the chain is bad (no evaluation). */
  knownBad?: boolean;
  /** Verdicts known already (read, and filled with new ones), e.g. shared by several searches. */
  verdicts?: Map<string, Verdict>;
}

/**
 * Binary search for the first bad commit of `chain`.
 *
 * `chain`: the commits after the last known-good one up to and including the bad one, oldest
 * first (good EXCLUSIVE, bad INCLUSIVE, as `git rev-list --first-parent good..bad` reversed), so
 * every element is a candidate and a chain of one commit is answered by checking it is bad.
 * Preconditions are checked, not assumed: `options.good` must be good and the last commit bad
 * (each skipped with knownGood / knownBad); otherwise firstBad is null with a reason.
 *
 * Cost without skips: at most ceil(log2(n)) + 1 evaluations for n = chain.length (one to verify
 * the bad end, ceil(log2(n)) to halve n candidates down to one), plus one if `good` is verified.
 * Every commit is evaluated at most once. A skipped commit is replaced by its nearest untested
 * neighbour (alternately later and earlier) inside the open range; when only skipped commits are
 * left between the last good and the first known bad commit, the result lists them as candidates.
 */
export async function bisect(
  chain: readonly string[],
  isGood: (commit: string) => Promise<Verdict>,
  options: BisectOptions = {},
): Promise<BisectResult> {
  checkChain(chain, options.good);
  const memo = options.verdicts ?? new Map<string, Verdict>();
  const steps: BisectStep[] = [];
  let evaluations = 0;
  const verdictOf = async (commit: string): Promise<Verdict> => {
    const known = memo.get(commit);
    if (known !== undefined) {
      steps.push({ commit, verdict: known, cached: true });
      return known;
    }
    const verdict = await isGood(commit);
    if (verdict !== true && verdict !== false && verdict !== "skip") {
      throw new Error(`bisect: isGood(${commit}) returned ${JSON.stringify(verdict)}; expected true, false or "skip"`);
    }
    evaluations++;
    memo.set(commit, verdict);
    steps.push({ commit, verdict });
    return verdict;
  };
  const fail = (reason: string): BisectResult => ({ firstBad: null, evaluations, reason, steps });

  const last = chain.length - 1;
  const bad = chain[last] as string;
  if (options.good !== undefined && options.knownGood !== true) {
    const verdict = await verdictOf(options.good);
    if (verdict === "skip") return fail(`the good commit ${options.good} cannot be measured, so the range cannot be trusted`);
    if (!verdict) return fail(`the good commit ${options.good} is bad: the regression is older than the range`);
  }
  if (options.knownBad !== true) {
    const verdict = await verdictOf(bad);
    if (verdict === "skip") return fail(`the bad commit ${bad} cannot be measured`);
    if (verdict) return fail(`the bad commit ${bad} is good: nothing in the range regressed`);
  }

  // Invariant: chain[lo] is good (lo = -1 stands for the good boundary), chain[hi] is bad, and
  // the first bad commit is one of chain[lo + 1 .. hi].
  let lo = -1;
  let hi = last;
  const skipped = new Set<number>();
  for (;;) {
    if (hi - lo === 1) return { firstBad: chain[hi] as string, evaluations, steps };
    const probe = pickProbe(lo, hi, skipped);
    if (probe === undefined) {
      const candidates = chain.slice(lo + 1, hi + 1);
      return { ...fail(`${hi - lo - 1} commit(s) before ${chain[hi]} cannot be measured; the first bad commit is one of ${candidates.length}`), candidates };
    }
    const verdict = await verdictOf(chain[probe] as string);
    if (verdict === "skip") skipped.add(probe);
    else if (verdict) lo = probe;
    else hi = probe;
  }
}

/** The untested index nearest the middle of (lo, hi): mid, mid+1, mid-1, mid+2, ... */
function pickProbe(lo: number, hi: number, skipped: ReadonlySet<number>): number | undefined {
  const mid = lo + Math.floor((hi - lo) / 2);
  for (let offset = 0; offset < hi - lo; offset++) {
    for (const at of offset === 0 ? [mid] : [mid + offset, mid - offset]) {
      if (at > lo && at < hi && !skipped.has(at)) return at;
    }
  }
  return undefined;
}

function checkChain(chain: readonly string[], good: string | undefined): void {
  if (chain.length === 0) throw new Error("bisect: chain is empty; it needs at least the bad commit");
  const seen = new Set<string>();
  chain.forEach((commit, i) => {
    if (typeof commit !== "string" || commit === "") throw new Error(`bisect: chain[${i}] is not a commit id`);
    if (seen.has(commit)) throw new Error(`bisect: chain[${i}] ${commit} appears twice`);
    seen.add(commit);
  });
  if (good !== undefined && seen.has(good)) throw new Error(`bisect: the good commit ${good} is inside the chain; the chain starts after it`);
}

/**
 * Bisect the first-parent history between two revisions of the repository at `dir`: `good` is
 * verified (unless knownGood) and excluded from the chain (see the ledger's firstParentRange),
 * `bad` is its last commit.
 */
export async function bisectRange(
  dir: string,
  range: { good: string; bad: string },
  isGood: (commit: string) => Promise<Verdict>,
  options: Omit<BisectOptions, "good"> = {},
): Promise<BisectResult & { chain: string[] }> {
  const chain = await firstParentRange(dir, range.good, range.bad);
  const good = await resolveRef(dir, range.good);
  const result = await bisect(chain, isGood, { ...options, good });
  return { ...result, chain };
}
