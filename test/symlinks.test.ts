/**
 * Issue 10 item 15: a symlink committed where tools live is refused with a clear message, never
 * followed and never rewritten; one outside evolvable and tool paths is left alone. Native git makes
 * the links.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { git, tempDir } from "./helpers.js";
import { initWorkspace } from "../workspace/init.js";
import { openWorkspace } from "../workspace/open.js";

const tmp = tempDir("evolve-symlinks-");
afterAll(() => tmp.cleanup());

describe("symlinks in a workspace", () => {
  it("one under agent/tools/ is refused (unsupported-content, exit 2 kind); one elsewhere is skipped", async () => {
    const ws = path.join(tmp.dir, "ws");
    await initWorkspace(ws);
    mkdirSync(path.join(ws, "lib"));
    writeFileSync(path.join(ws, "lib", "shared.ts"), "export function shared(): number { return 1; }\n");
    symlinkSync("../lib", path.join(ws, "docs-link"));
    git(ws, "add", "-A");
    git(ws, "commit", "-qm", "a link outside the tools");
    await expect(openWorkspace(ws)).resolves.toMatchObject({ root: ws });

    symlinkSync("../../lib/shared.ts", path.join(ws, "agent", "tools", "shared.ts"));
    git(ws, "add", "-A");
    git(ws, "commit", "-qm", "a link among the tools");
    const err = await openWorkspace(ws).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "unsupported-content", data: { paths: ["agent/tools/shared.ts"] } });
    expect((err as Error).message).toMatch(/agent\/tools\/shared.ts is a symbolic link at HEAD in an evolvable or tool path; evolve never follows links/);
    expect(readlinkSync(path.join(ws, "agent", "tools", "shared.ts"))).toBe("../../lib/shared.ts");
    expect(git(ws, "ls-files", "-s", "agent/tools/shared.ts")).toMatch(/^120000 /);
  });
});
