/**
 * Where a workspace is: the root finder and the error for a directory that is none. Kept apart
 * from open.ts (config schema, golden suite, ledger) so `evolve log` finds its workspace without
 * loading them.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { EvolveError, type ErrorCode } from "../kernel/errors.js";

export const CONFIG_FILE = "evolve.config.yaml";

/**
 * A user-facing problem with where or what the workspace is (exit code 2 at the command line).
 * Code "workspace" unless a more precise one is given.
 */
export class WorkspaceError extends EvolveError {
  override name = "WorkspaceError";
  constructor(message: string, code: ErrorCode = "workspace", data?: Record<string, unknown>) {
    super(code, message, data);
  }
}

/**
 * The workspace containing `start`: the nearest enclosing git repository root, when that root holds
 * evolve.config.yaml. A config file deeper than the repository root (a bundled example inside the
 * evolve project itself) is deliberately not a workspace, so evolve never commits into a host repo.
 */
export function findWorkspaceRoot(start: string): string | null {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, ".git"))) {
      return existsSync(path.join(dir, CONFIG_FILE)) ? dir : null;
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

