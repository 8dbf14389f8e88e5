/**
 * The layering of docs/architecture.md, enforced: imports point down only, isomorphic-git is imported
 * only under ledger/, and nothing outside ledger/ reaches its internals. Each failure names the file
 * and the import.
 */
import { describe, expect, it } from "vitest";
import { formatViolation, importsOf, importViolations, LAYERS, sizeViolations, sourceFiles, type SourceFile } from "./source-rules.js";

/**
 * Known violations waiting for their owner (none now). Each entry must still be needed (the test
 * says when one can go), so the list only shrinks.
 */
const PENDING: readonly string[] = [];

describe("import layers", () => {
  const files = sourceFiles();

  it("reads every layered folder", () => {
    const tops = new Set(files.map((f) => f.path.split("/")[0]));
    for (const top of Object.keys(LAYERS)) expect(tops, `no source found under ${top}/`).toContain(top);
    expect(files.length).toBeGreaterThan(100);
  });

  it("has no import from a higher layer, no isomorphic-git outside ledger/ and no ledger internals outside it", () => {
    const found = importViolations(files).map(formatViolation);
    const unexpected = found.filter((v) => !PENDING.includes(v));
    expect(unexpected, `layer violations:\n${unexpected.join("\n")}`).toEqual([]);
  });

  it("still needs every pending exception", () => {
    const found = new Set(importViolations(files).map(formatViolation));
    const stale = PENDING.filter((v) => !found.has(v));
    expect(stale, `fixed, remove from PENDING in test/layers.test.ts:\n${stale.join("\n")}`).toEqual([]);
  });
});

describe("sizes", () => {
  it("has no source file over 400 lines and no function over 80", () => {
    const found = sizeViolations(sourceFiles());
    expect(found, `too long:\n${found.join("\n")}`).toEqual([]);
  });

  it("names the file, line and function of what is too long", () => {
    const body = (n: number): string => Array.from({ length: n }, (_, i) => `  x += ${i};`).join("\n");
    const text = `let x = 0;\nexport function short() {\n${body(10)}\n}\nexport const long = () => {\n${body(80)}\n};\n`;
    expect(sizeViolations([{ path: "agent/x.ts", text }])).toEqual(["agent/x.ts:14 long (82 lines, at most 80)"]);
    expect(sizeViolations([{ path: "agent/y.ts", text: "export const a = 1;\n".repeat(401) }])).toEqual(["agent/y.ts: 401 lines (at most 400)"]);
  });
});

describe("the layer check itself", () => {
  const plant = (path: string, text: string): string[] => importViolations([{ path, text } satisfies SourceFile]).map(formatViolation);

  it("reads static, type-only, re-exported and dynamic imports", () => {
    expect(importsOf(`import a from "./a.js";\nimport type { B } from "../b.js";\nexport { c } from "./c.js";\nconst d = await import("../d.js");\n`)).toEqual(["./a.js", "../b.js", "./c.js", "../d.js"]);
  });

  it("fails an upward import, naming the file and the import", () => {
    expect(plant("ledger/x.ts", `import { runEvolution } from "../evolution/controller.js";\n`)).toEqual([
      'ledger/x.ts: import "../evolution/controller.js": ledger/ (layer 1) may not import evolution/ (layer 6); imports point down only',
    ]);
    expect(plant("kernel/x.ts", `import type { Sandbox } from "../sandbox/pool.js";\n`)).toHaveLength(1);
    expect(plant("agent/runtime/x.ts", `const m = await import("../../bin/output.js");\n`)).toHaveLength(1);
  });

  it("fails an import between two folders of the same layer, and passes downward and same-folder imports", () => {
    expect(plant("history/x.ts", `import { tune } from "../tuning/tune.js";\n`)).toHaveLength(1);
    expect(plant("bench/x.ts", `import { fail } from "../bin/output.js";\n`)).toHaveLength(1);
    expect(plant("evolution/x.ts", `import { openWorkspace } from "../workspace/open.js";\nimport { judge } from "./judge.js";\nimport { rollback } from "../history/rollback.js";\n`)).toEqual([]);
  });

  it("fails isomorphic-git outside ledger/ and ledger internals imported from outside", () => {
    expect(plant("history/x.ts", `import git from "isomorphic-git";\n`)).toEqual([
      'history/x.ts: import "isomorphic-git": isomorphic-git may be imported only under ledger/ (use a ledger function)',
    ]);
    expect(plant("bin/commands/x.ts", `import { Errors } from "isomorphic-git/errors";\n`)).toHaveLength(1);
    expect(plant("ledger/x.ts", `import git from "isomorphic-git";\nimport { fs } from "./fs.js";\n`)).toEqual([]);
    expect(plant("history/x.ts", `import { fs, gitCache } from "../ledger/fs.js";\n`)).toEqual([
      'history/x.ts: import "../ledger/fs.js": ledger/fs is internal to the ledger; import it from ledger/index.js or a public ledger module',
    ]);
    expect(plant("history/x.ts", `import { resolveRef } from "../ledger/index.js";\nimport { TRAILER } from "../ledger/record.js";\n`)).toEqual([]);
    expect(plant("evolution/x.ts", `import { buildTree } from "../ledger/tree-hash.js";\nimport { syncWorktree } from "../ledger/worktree.js";\nimport type { GitObject } from "../ledger/objects.js";\n`)).toHaveLength(3);
  });

  it("fails a source folder that has no layer", () => {
    expect(plant("plugins/x.ts", `export const x = 1;\n`)[0]).toMatch(/^plugins\/x\.ts: .*top-level folder plugins\/ has no layer/);
  });
});
