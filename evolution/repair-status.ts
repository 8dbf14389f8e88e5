/**
 * What a run's end state says about the repair: passing the cases the search saw (train) only makes a
 * patch plausible; it is confirmed when the holdout cases, which never steer the search, pass too.
 */

/** "confirmed": train and holdout all pass; "plausible": train passes, holdout fails or is absent; "partial": train still fails. */
export type RepairStatus = "confirmed" | "plausible" | "partial";

const EPSILON = 1e-9;

export function repairStatus(finalScore: number, finalHoldout: number | null): RepairStatus {
  if (finalScore < 1 - EPSILON) return "partial";
  return finalHoldout !== null && finalHoldout >= 1 - EPSILON ? "confirmed" : "plausible";
}

/** One line for `evolve run`'s summary. */
export function describeRepair(finalScore: number, finalHoldout: number | null): string {
  switch (repairStatus(finalScore, finalHoldout)) {
    case "confirmed":
      return "Repair: holdout confirmed (every train and holdout case passes).";
    case "plausible":
      return finalHoldout === null
        ? "Repair: plausible (visible cases only): every train case passes, and there are no holdout cases to confirm it."
        : `Repair: plausible (visible cases only): every train case passes, but the holdout score is ${finalHoldout}; the patch may overfit.`;
    case "partial":
      return "Repair: partial: some train cases still fail.";
  }
}
