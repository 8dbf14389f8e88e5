/**
 * `evolve reset --to TAG [--force]`: move the current branch and the work tree to a known-good tag
 * (or any commit), after saving the old tip under refs/evolve/backups/ so nothing is lost.
 */
import { isEvolveError, reworded } from "../../kernel/errors.js";
import { currentBranch, dirtyPaths, resolveRef } from "../../ledger/index.js";
import { resetBranch } from "../../ledger/reset.js";
import { c, output } from "../output.js";
import { resolveUserRef } from "./ref-arg.js";
import { workspaceFromFlag } from "./workspace-flag.js";
import { lockedCommand } from "./lock.js";

export interface ResetFlags {
  workspace?: string;
  to: string;
  force?: boolean;
  json?: boolean;
  wait?: boolean | string;
}

/** Holds the workspace lock for the whole command (see lockedCommand). */
export async function resetCommand(flags: ResetFlags): Promise<void> {
  await lockedCommand("evolve reset", flags, () => resetUnlocked(flags));
}

async function resetUnlocked(flags: ResetFlags): Promise<void> {
  const out = output(flags.json === true);
  const root = workspaceFromFlag(flags.workspace);
  const branch = await currentBranch(root).catch((e: unknown) => {
    throw isEvolveError(e, "detached-head") ? reworded(e, `${e.message}; reset moves the current branch`) : e;
  });
  const to = await resolveUserRef(root, flags.to, "--to");
  const from = await resolveRef(root, "HEAD");
  if (from === to && (await dirtyPaths(root)).length === 0) {
    out.say(`${branch} is already at ${flags.to} (${to.slice(0, 10)}) and the work tree is clean; nothing to do.`);
    if (out.isJson) out.json({ branch, from, to, backupRef: null, worktreeBackupRef: null });
    return;
  }
  const r = await resetBranch(root, { branch, target: to, force: flags.force === true }).catch((e: unknown) => {
    // resetBranch refuses before it writes anything; say so, in the command's terms.
    if (isEvolveError(e, "dirty-worktree")) {
      const paths = (e.data["paths"] as string[] | undefined) ?? [];
      throw reworded(e, `${root} has uncommitted changes in ${paths.join(", ")}; commit or discard them, or pass --force to save them under ${String(e.data["backupPrefix"] ?? "refs/evolve/backups/")} first; nothing was changed`);
    }
    throw e;
  });
  out.say(`Reset ${c.bold(branch)} from ${r.from.slice(0, 10)} to ${c.bold(flags.to)} (${r.to.slice(0, 10)}); the work tree follows.`);
  out.say(`The old tip is kept as ${c.bold(r.backupRef)}${r.worktreeBackupRef === undefined ? "" : `, the discarded uncommitted work as ${c.bold(r.worktreeBackupRef)}`}.`);
  out.say(`Undo: evolve reset --to ${r.backupRef}   (see them all: evolve log --all, or git for-each-ref refs/evolve/backups)`);
  if (out.isJson) out.json({ branch, from: r.from, to: r.to, backupRef: r.backupRef, worktreeBackupRef: r.worktreeBackupRef ?? null });
}
