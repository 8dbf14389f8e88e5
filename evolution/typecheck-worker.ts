/**
 * The type checker in its own thread. Type-checking is the main thread's heaviest per-candidate work;
 * done here, it no longer delays the main thread's dispatch of finished builds to sandbox workers.
 * Protocol (one message in, one out, in order): init a base, check a candidate, rebase.
 */
import { parentPort } from "node:worker_threads";
import { createTypeChecker } from "./typecheck.js";
import type { TypeChecker } from "./typecheck.js";
import type { CheckerRequest, CheckerReply } from "./typecheck-protocol.js";

let checker: TypeChecker | null = null;
let base = new Map<string, string>();

function apply(files: Map<string, string>, changes: ReadonlyArray<readonly [string, string | null]>): Map<string, string> {
  const next = new Map(files);
  for (const [path, text] of changes) {
    if (text === null) next.delete(path);
    else next.set(path, text);
  }
  return next;
}

parentPort!.on("message", (req: CheckerRequest) => {
  let reply: CheckerReply;
  try {
    if (req.type === "init") {
      base = new Map(req.files);
      checker = createTypeChecker(base);
      checker.program();
      reply = { id: req.id, type: "ok" };
    } else if (req.type === "rebase") {
      base = apply(base, req.changes);
      checker!.rebase(base);
      reply = { id: req.id, type: "ok" };
    } else {
      const result = checker!.check(apply(base, req.changes), req.changes.map(([p]) => p));
      reply = { id: req.id, type: "checked", result };
    }
  } catch (e) {
    reply = { id: req.id, type: "error", message: (e as Error).stack ?? String(e) };
  }
  parentPort!.postMessage(reply);
});
