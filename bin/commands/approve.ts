/**
 * `evolve approve ID`: show a held candidate's diff, then commit it as the next generation if it
 * still applies to the tip and still improves it (evolution/approve.ts). Without ID: list the held
 * candidates.
 */
import { approveHeld, findHeld, heldCandidates } from "../../evolution/approve.js";
import { c, fail, fixed, output, signed } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";
import { lockedCommand } from "./lock.js";

export interface ApproveFlags {
  workspace?: string;
  json?: boolean;
  wait?: boolean | string;
}

export async function approveCommand(id: string | undefined, flags: ApproveFlags): Promise<void> {
  if (id === undefined) return listHeld(flags);
  await lockedCommand("evolve approve", flags, async () => {
    const out = output(flags.json === true);
    try {
      const root = workspaceFromFlag(flags.workspace);
      const held = await findHeld(root, id);
      out.say(`${c.bold(`held candidate ${held.tree.slice(0, 10)}`)} (${held.operator}): ${held.description}`);
      out.say(held.diff.trimEnd());
      const { generation: g } = await approveHeld({ dir: root, id });
      out.say(`${c.green(`gen ${g.generation}`)} ${g.commit.slice(0, 10)} ${g.tag}: score ${fixed(g.score)} (${signed(g.delta)})  ${g.summary}`);
      if (out.isJson) out.json({ id: held.tree, generation: g.generation, commit: g.commit, tag: g.tag, score: g.score, holdout: g.holdout, delta: g.delta, fixed: g.fixed });
    } catch (e) {
      fail(e);
    }
  });
}

async function listHeld(flags: ApproveFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const held = await heldCandidates(workspaceFromFlag(flags.workspace));
    if (held.length === 0) out.say("No held candidates.");
    for (const a of held) out.say(`${a.tree.slice(0, 10)}  gen ${a.generation}  ${a.operator}: ${a.description}  (${a.reason})`);
    if (out.isJson) out.json({ held: held.map((a) => ({ id: a.tree, generation: a.generation, base: a.base, operator: a.operator, description: a.description, score: a.score, reason: a.reason })) });
  } catch (e) {
    fail(e);
  }
}
