/**
 * A representative subset of the hostile-candidate suite (bench/hostile-suite.ts; `npm run hostile`
 * runs all of it): the attacks of issue 10 and one or two of each kind, through the built script, in
 * its own child process, against the real sandbox. Every count must be 0.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "./helpers.js";

const SUBSET = [
  "drive-the-driver",
  "call-every-hidden-global",
  "prototype-setters-for-reply-fields",
  "write-via-constructor-chain",
  "host-objects-from-stack-callsites",
  "fetch-canary-port",
  "env-via-escape",
  "timer-into-the-next-case",
  "returned-256mb-string",
  "prototype-pollution-output",
  "catastrophic-regex-assertion",
  "quadratic-fold-message",
  "huge-message-in-the-cache",
];

it("a subset of the hostile suite: 0 escapes, 0 host hangs, 0 judge desynchronisations", () => {
  const script = path.join(ROOT, "dist", "bench", "hostile-suite.js");
  const r = spawnSync(process.execPath, [script, "--only", SUBSET.join(","), "--json"], { encoding: "utf8", timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as { attacks: number; escapes: number; hostHangs: number; desyncs: number; unexpected: number; results: { name: string }[] };
  expect(report.results.map((x) => x.name)).toEqual(SUBSET);
  expect({ escapes: report.escapes, hostHangs: report.hostHangs, desyncs: report.desyncs, unexpected: report.unexpected }).toEqual({ escapes: 0, hostHangs: 0, desyncs: 0, unexpected: 0 });
});
