import { WorkspaceError } from "../../workspace/open.js";
import { resolveRef } from "../../ledger/index.js";

/** The commit a user-given revision names; an unknown one is an input error (exit 2), not a crash. */
export async function resolveUserRef(root: string, ref: string, flag = "revision"): Promise<string> {
  try {
    return await resolveRef(root, ref);
  } catch (e) {
    throw new WorkspaceError(`${flag} ${JSON.stringify(ref)}: ${(e as Error).message.replace(/^.*?: cannot resolve revision "[^"]*": /, "")}`);
  }
}
