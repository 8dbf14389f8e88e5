/**
 * Reflection and learning memory for the built-in proposer.
 *
 * Memory is not a separate database: it is derived from git (accepted generations' `Evolve-Operator`
 * trailers and the rejected attempts kept as notes), so it travels with the repository and is never
 * out of step with history. Reflection turns the still-failing cases and that memory into a plan and
 * into operator weights that reorder the next generations' candidates.
 */

/** One past try of an operator: accepted (a generation) or not (an attempt). */
export interface OperatorTry {
  operator: string;
  accepted: boolean;
}

export interface OperatorStat {
  operator: string;
  tried: number;
  accepted: number;
  /** Laplace-smoothed acceptance rate. */
  rate: number;
}

export interface Reflection {
  generation: number;
  /** Failing train and holdout cases, grouped by tool, with the first failure reason. */
  failing: Array<{ tool: string; cases: string[]; reason: string }>;
  operators: OperatorStat[];
  /** Multiplier per operator for ordering candidates (mean 1, within [0.5, 2]). */
  factors: Record<string, number>;
  /** What the next generations will try first, in plain words. */
  plan: string[];
}

/** Operators composed in one candidate are recorded as "a+b"; each part earns the credit. */
export function operatorStats(tries: readonly OperatorTry[]): OperatorStat[] {
  const acc = new Map<string, { tried: number; accepted: number }>();
  for (const t of tries) {
    for (const op of t.operator.split("+")) {
      const s = acc.get(op) ?? { tried: 0, accepted: 0 };
      s.tried += 1;
      if (t.accepted) s.accepted += 1;
      acc.set(op, s);
    }
  }
  return [...acc]
    .map(([operator, s]) => ({ operator, ...s, rate: (s.accepted + 1) / (s.tried + 2) }))
    .sort((a, b) => b.rate - a.rate || a.operator.localeCompare(b.operator));
}

export function operatorFactors(stats: readonly OperatorStat[]): Record<string, number> {
  if (stats.length === 0) return {};
  const mean = stats.reduce((s, x) => s + x.rate, 0) / stats.length;
  const out: Record<string, number> = {};
  for (const s of stats) out[s.operator] = Math.min(2, Math.max(0.5, s.rate / mean));
  return out;
}

export function reflect(
  generation: number,
  failing: ReadonlyArray<{ id: string; tool: string; reason: string }>,
  tries: readonly OperatorTry[],
): Reflection {
  const byTool = new Map<string, { cases: string[]; reason: string }>();
  for (const f of failing) {
    const g = byTool.get(f.tool) ?? { cases: [], reason: f.reason };
    g.cases.push(f.id);
    byTool.set(f.tool, g);
  }
  const grouped = [...byTool].map(([tool, g]) => ({ tool, ...g })).sort((a, b) => b.cases.length - a.cases.length);
  const operators = operatorStats(tries);
  const factors = operatorFactors(operators);
  const plan: string[] = [];
  for (const g of grouped) plan.push(`repair ${g.tool} (${g.cases.length} failing: ${g.cases.join(", ")}): ${g.reason}`);
  const favoured = operators.filter((o) => o.accepted > 0).slice(0, 3).map((o) => o.operator);
  if (favoured.length > 0) plan.push(`try first the operators that worked before: ${favoured.join(", ")}`);
  const barren = operators.filter((o) => o.accepted === 0 && o.tried >= 20).map((o) => o.operator);
  if (barren.length > 0) plan.push(`try last the operators that never worked here: ${barren.join(", ")}`);
  if (plan.length === 0) plan.push("every case passes: nothing to repair");
  return { generation, failing: grouped, operators, factors, plan };
}
