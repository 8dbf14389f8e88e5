/**
 * Callers branch on an EvolveError's `code`, never on its message text or an error's name: wording
 * changes, codes are the contract. This test reads every source file and fails on code that compares,
 * matches or searches an error's `.message` or `.name`.
 */
import { describe, expect, it } from "vitest";
import { errorTextBranches, sourceFiles } from "./source-rules.js";

describe("no decisions from error text", () => {
  it("finds none in the source", () => {
    const found = sourceFiles().flatMap((f) => errorTextBranches(f.path, f.text));
    expect(found.map((b) => `${b.file}:${b.line}: ${b.code}`), "branch on isEvolveError(e, code) / e.code instead").toEqual([]);
  });
});

describe("the check itself", () => {
  const lines = (text: string): number[] => errorTextBranches("x.ts", text).map((b) => b.line);

  it("catches comparisons, regular expressions, string searches and switches on an error's message or name", () => {
    const planted = [
      `if ((e as Error).message.startsWith("resetBranch:")) throw e;`,
      `if (err.message == "boom") x();`,
      `if (/merge commit/.test(err.message)) x();`,
      `const y = (e as Error).message.replace(/^.*: /, "");`,
      `if (err instanceof Error && err.name === "AgentBuildError") x();`,
      `try { x(); } catch (e) { if (e.name !== "AbortError") throw e; }`,
      `p.catch((x) => { if (x.message.includes("gone")) return 1; throw x; });`,
      `switch (e.message) { default: }`,
      `if (errorMessage(e).includes("ENOSPC")) x();`,
      `if (String(err).match(/timeout/)) x();`,
      `if (result.error.message === "x") x();`,
      `if (/not found/i.exec(e.cause.message)) x();`,
    ];
    expect(lines(planted.join("\n"))).toEqual(planted.map((_, i) => i + 1));
  });

  it("leaves commit messages, AST names and plain use of an error's text alone", () => {
    const fine = [
      `const subject = commit.message.split("\\n", 1)[0];`,
      `if (parent.name === node) return false;`,
      `throw new WorkspaceError(\`\${root}: \${(e as Error).message}\`);`,
      `if (isEvolveError(e, "ref-not-found")) throw reworded(e, \`x: \${e.message}\`);`,
      `const first = (err as Error).message.split("\\n")[0];`,
      `if (/Fixes/.test(c.message)) x();`,
      `entries.map((e) => e.name.startsWith(".") ? null : e);`,
    ];
    expect(lines(fine.join("\n"))).toEqual([]);
  });
});
