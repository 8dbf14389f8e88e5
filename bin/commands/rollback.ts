/** `evolve rollback REF`: a revert commit on the current branch, measured afresh and tagged like a generation. */
import { rollback } from "../../history/rollback.js";
import { round6 } from "../../ledger/record.js";
import { c, fixed, output, signed } from "../output.js";
import { resolveUserRef } from "./ref-arg.js";
import { workspaceFromFlag } from "./workspace-flag.js";
import { lockedCommand } from "./lock.js";

export interface RollbackFlags {
  workspace?: string;
  json?: boolean;
  wait?: boolean | string;
}

/** Holds the workspace lock for the whole command (see lockedCommand). */
export async function rollbackCommand(ref: string, flags: RollbackFlags): Promise<void> {
  await lockedCommand("evolve rollback", flags, () => rollbackUnlocked(ref, flags));
}

async function rollbackUnlocked(ref: string, flags: RollbackFlags): Promise<void> {
  const out = output(flags.json === true);
  const root = workspaceFromFlag(flags.workspace);
  await resolveUserRef(root, ref);
  const r = await rollback(root, ref);
  const m = r.measurement;
  const p = r.parentMeasurement;
  const delta = p === null ? null : round6(m.score - p.score);
  out.say(`Rolled back ${c.bold(ref)} (${r.reverted.slice(0, 10)} "${r.revertedSubject}") with revert commit ${c.bold(r.commit.slice(0, 10))} on ${r.branch}, tagged ${c.bold(r.tag)} (generation ${r.generation}).`);
  out.say(`  score ${p === null ? "" : `${fixed(p.score)} -> `}${fixed(m.score)}${delta === null ? "" : ` (${signed(delta)})`}${m.holdout === null ? "" : `, holdout ${fixed(m.holdout)}`}; ${m.passed}/${m.total} cases pass (measured on the reverted tree)`);
  if (r.broken.length > 0) out.say(`  now failing: ${c.red(r.broken.join(", "))}`);
  if (r.fixed.length > 0) out.say(`  now passing: ${c.green(r.fixed.join(", "))}`);
  out.say(`  changed: ${r.changed.join(", ")}`);
  if (out.isJson) {
    out.json({
      commit: r.commit,
      tree: r.tree,
      tag: r.tag,
      generation: r.generation,
      branch: r.branch,
      parent: r.parent,
      reverted: r.reverted,
      revertedSubject: r.revertedSubject,
      changed: r.changed,
      score: m.score,
      holdout: m.holdout,
      passed: m.passed,
      total: m.total,
      parentScore: p?.score ?? null,
      delta,
      fixed: r.fixed,
      broken: r.broken,
      suiteHash: r.suiteHash,
    });
  }
}
