import { isEvolveError, reworded } from "../../kernel/errors.js";
import { resolveRef, type RefNotFoundData } from "../../ledger/index.js";

/** The commit a user-given revision names; an unknown one is refused (`ref-not-found`, exit 2) naming the flag. */
export async function resolveUserRef(root: string, ref: string, flag = "revision"): Promise<string> {
  try {
    return await resolveRef(root, ref);
  } catch (e) {
    if (!isEvolveError(e, "ref-not-found")) throw e;
    const { reason } = e.data as Partial<RefNotFoundData>;
    throw reworded(e, `${flag} ${JSON.stringify(ref)}: ${reason ?? e.message}`);
  }
}
