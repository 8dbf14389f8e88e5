/**
 * Per-case `timeoutMs`: a slow but correct case gets the time it asks for, a hanging one is cut at
 * its own limit, and no case may ask for more than the config's sandbox.maxCaseTimeoutMs. Real
 * sandbox worker processes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../sandbox/pool.js";
import { loadSuite } from "../golden-tests/index.js";
import { isEvolveError } from "../kernel/errors.js";
import { parseConfig } from "../workspace/config.js";
import { evaluateTools } from "./evaluate-helpers.js";

const TOOLS = `
/** Busy for about \`rounds\` million steps, then the count: slow, but it finishes. */
export function slow(rounds: number): number {
  let x = 0;
  for (let i = 0; i < rounds * 1_000_000; i++) x = (x + i) % 7;
  return x;
}
export function hang(): number { for (;;) {} }
`;

let sandbox: Sandbox;
beforeAll(() => {
  // A short default, so the slow case fails without its own limit.
  sandbox = createSandbox({ workers: 1, timeoutMs: 100, memoryMb: 64 });
});
afterAll(async () => {
  await sandbox.destroy();
});

const run = (yaml: string) => evaluateTools(sandbox, TOOLS, yaml);

describe("per-case timeoutMs", () => {
  it("gives a slow case its own limit, and cuts a hanging one at its own", async () => {
    const { measurement, outcomes } = await run(`cases:
  - id: slow-default
    tool: slow
    input: 300
    assert: [{ type: close-to, value: 0, tolerance: 10 }]
  - id: slow-allowed
    tool: slow
    input: 300
    timeoutMs: 30000
    assert: [{ type: close-to, value: 0, tolerance: 10 }]
  - id: hang-short
    tool: hang
    timeoutMs: 100
    assert: [{ type: equals, value: 1 }]
`);
    const byId = new Map(measurement.results.map((r) => [r.id, r]));
    expect(byId.get("slow-default")?.pass).toBe(false);
    expect(byId.get("slow-default")?.reason).toMatch(/100 ms case budget/);
    expect(byId.get("slow-allowed"), JSON.stringify(byId.get("slow-allowed"))).toMatchObject({ pass: true });
    const hang = outcomes.find((o) => o.id === "hang-short");
    expect(hang?.ok === false && hang.kind).toBe("timeout");
    expect(hang?.ok === false && hang.error).toMatch(/100 ms case budget/);
  }, 60_000);

  it("is bounded by the config's maxCaseTimeoutMs, and named with file and line when above it", () => {
    const config = parseConfig("sandbox: { maxCaseTimeoutMs: 5000 }\n");
    const files = new Map([["golden-tests/a.yaml", "cases:\n  - id: a\n    tool: slow\n    timeoutMs: 9000\n    assert: [{ type: equals, value: 1 }]\n"]]);
    let caught: unknown;
    try {
      loadSuite(files, "golden-tests", { maxCaseTimeoutMs: config.sandbox.maxCaseTimeoutMs });
    } catch (e) {
      caught = e;
    }
    expect(isEvolveError(caught, "input-file")).toBe(true);
    expect((caught as Error).message).toBe(
      "golden-tests/a.yaml:4:16: cases[0].timeoutMs: 9000 ms is above the workspace's limit sandbox.maxCaseTimeoutMs (5000 ms); lower it or raise the limit in evolve.config.yaml",
    );
    expect(loadSuite(files, "golden-tests", { maxCaseTimeoutMs: 9000 }).cases[0]?.timeoutMs).toBe(9000);
    expect(parseConfig("").sandbox.maxCaseTimeoutMs).toBe(30000);
  });

  it("must be a whole number of ms, and agent-level cases take none", () => {
    const bad = (yaml: string) => {
      try {
        loadSuite(new Map([["golden-tests/a.yaml", yaml]]));
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(bad("cases:\n  - id: a\n    tool: t\n    timeoutMs: 1.5\n    assert: [{ type: equals, value: 1 }]\n")).toMatch(/^golden-tests\/a.yaml:4:\d+: cases\[0\]\.timeoutMs: /);
    expect(bad("cases:\n  - id: a\n    agent: { request: hi }\n    timeoutMs: 100\n    assert: [{ type: contains, value: x }]\n")).toMatch(/^golden-tests\/a.yaml:4:\d+: cases\[0\]\.timeoutMs: an agent-level case/);
  });
});
