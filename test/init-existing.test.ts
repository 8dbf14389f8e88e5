/**
 * `evolve init` on an existing project: a repository with history, a folder without git, a
 * subfolder of a repository; the user's files stay byte-identical, the commit carries the user's
 * identity (or says which fallback it used), and an init killed half-way is finished by the rerun.
 * Real repositories, checked with native git.
 */
import { afterAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { evolve, git, GIT_ENV, gitStatus, tempDir } from "./helpers.js";
import { adoptFolder } from "../workspace/adopt.js";
import { initWorkspace } from "../workspace/init.js";
import { parseUserSection, userIdentity } from "../ledger/identity.js";

const tmp = tempDir("evolve-init-existing-");
afterAll(() => tmp.cleanup());

/** sha256 of every tracked and untracked file, so "nothing of mine changed" is checked byte for byte. */
function hashes(dir: string, files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, createHash("sha256").update(readFileSync(path.join(dir, f))).digest("hex")]));
}

function project(name: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(path.join(dir, "src"), { recursive: true });
  writeFileSync(path.join(dir, "src", "stats.ts"), "export function mean(xs: number[]): number {\n  let s = 0;\n  for (const x of xs) s += x;\n  return s / xs.length;\n}\n");
  writeFileSync(path.join(dir, "src", "io.ts"), 'import { readFileSync } from "node:fs";\nexport const load = (p: string): string => readFileSync(p, "utf8");\n');
  writeFileSync(path.join(dir, "README.md"), "# mine\n");
  writeFileSync(path.join(dir, "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(path.join(dir, "run.sh"), 0o755);
  return dir;
}

const MINE = ["src/stats.ts", "src/io.ts", "README.md", "run.sh"];

describe("evolve init in an existing repository", () => {
  it("adds config and golden-tests beside the user's files, lists the tool modules, and commits as the user", async () => {
    const dir = project("repo");
    git(dir, "init", "-q", "-b", "trunk");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "the user's own commit");
    const before = hashes(dir, MINE);
    const r = await adoptFolder(dir, { bare: true, env: GIT_ENV });
    expect(r.root).toBe(dir);
    expect(r.added).toEqual(["evolve.config.yaml", "golden-tests/cases.yaml"]);
    expect(r.tools).toEqual([{ file: "src/stats.ts", exports: ["mean"] }]);
    expect(r.skipped[0]?.file).toBe("src/io.ts");
    expect(r.skipped[0]?.reason).toMatch(/node:fs/);
    expect(hashes(dir, MINE)).toEqual(before);
    expect(git(dir, "log", "--format=%an|%s", "trunk")).toBe("test|evolve: gen 0: evolve init in an existing project\ntest|the user's own commit");
    expect(git(dir, "rev-parse", "gen-0^{commit}")).toBe(r.commit);
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(gitStatus(dir, "fsck", "--strict").status).toBe(0);
    const config = readFileSync(path.join(dir, "evolve.config.yaml"), "utf8");
    expect(config).toMatch(/^evolvable:\n {2}- "src\/stats.ts" {2}# exports mean$/m);
    expect(config).toMatch(/^ {2}tools: \["src\/stats.ts"\]/m);
    await expect(adoptFolder(dir, { env: GIT_ENV })).rejects.toThrow(/already a workspace/);
    await expect(initWorkspace(dir, { example: "textkit" })).rejects.toThrow(/exists and is not empty/);
  });

  it("in a subfolder, makes the enclosing repository the workspace and looks for tools under the subfolder", async () => {
    const dir = project("mono");
    mkdirSync(path.join(dir, "pkg"));
    writeFileSync(path.join(dir, "pkg", "inc.ts"), "export function inc(n: number): number { return n + 1; }\n");
    git(dir, "init", "-q");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "c");
    const r = await adoptFolder(path.join(dir, "pkg"), { env: GIT_ENV });
    expect(r.root).toBe(dir);
    expect(r.sub).toBe("pkg");
    expect(r.tools.map((t) => t.file)).toEqual(["pkg/inc.ts"]);
    expect(r.added).toEqual(["evolve.config.yaml", "agent/tools/greet.ts", "golden-tests/greet.yaml"]);
  });

  it("a folder without git becomes a repository; ignored, binary and executable files stay out; no identity is stated as the fallback", () => {
    const dir = project("plain");
    writeFileSync(path.join(dir, ".gitignore"), ".env\n");
    writeFileSync(path.join(dir, ".env"), "secret\n");
    writeFileSync(path.join(dir, "logo.bin"), Buffer.from([0, 1, 2]));
    const before = hashes(dir, [...MINE, ".env", "logo.bin"]);
    const r = evolve(["init", "--bare", "--json"], dir, { GIT_AUTHOR_NAME: "", GIT_AUTHOR_EMAIL: "", HOME: tmp.dir, GIT_CONFIG_GLOBAL: "/dev/null" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Committed as evolve <evolve@localhost>: no git identity is configured/);
    const j = JSON.parse(r.stdout);
    expect(j.left).toEqual(["logo.bin: binary", "run.sh: executable"]);
    expect(hashes(dir, [...MINE, ".env", "logo.bin"])).toEqual(before);
    expect(git(dir, "ls-files").split("\n").sort()).toEqual([".gitignore", "README.md", "evolve.config.yaml", "golden-tests/cases.yaml", "src/io.ts", "src/stats.ts"]);
    expect(git(dir, "status", "--porcelain")).toBe("?? logo.bin\n?? run.sh");
    expect(gitStatus(dir, "fsck", "--strict").status).toBe(0);
  });

  it("refuses only what it would overwrite", async () => {
    const dir = project("clash");
    mkdirSync(path.join(dir, "golden-tests"));
    writeFileSync(path.join(dir, "golden-tests", "cases.yaml"), "mine\n");
    await expect(adoptFolder(dir, { bare: true })).rejects.toThrow(/would overwrite golden-tests\/cases.yaml/);
    expect(existsSync(path.join(dir, ".git"))).toBe(false);
    expect(readFileSync(path.join(dir, "golden-tests", "cases.yaml"), "utf8")).toBe("mine\n");
  });
});

describe("an interrupted evolve init is finished by the next one", () => {
  it("a repository left without commits is taken as it is", async () => {
    const dir = path.join(tmp.dir, "killed-early");
    mkdirSync(dir);
    git(dir, "init", "-q");
    const r = await initWorkspace(dir, { example: "textkit" });
    expect(git(dir, "rev-parse", "gen-0^{commit}")).toBe(r.commit);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("a committed generation 0 whose files were never written gets them", async () => {
    const dir = path.join(tmp.dir, "killed-late");
    await initWorkspace(dir);
    for (const f of ["evolve.config.yaml", "agent/tools/greet.ts"]) rmSync(path.join(dir, f));
    const r = await adoptFolder(dir);
    expect(r.finished).toBe(true);
    expect(r.added).toEqual(["agent/tools/greet.ts", "evolve.config.yaml"]);
    expect(git(dir, "status", "--porcelain")).toBe("");
  });
});

describe("the user's git identity", () => {
  it("is read from the environment, the repository, then the global config", async () => {
    expect(parseUserSection('[core]\n\tname = no\n[user]\n\tname = "Ann Lee"  # me\n\temail = ann@x\n')).toEqual({ name: "Ann Lee", email: "ann@x" });
    const dir = path.join(tmp.dir, "ident");
    mkdirSync(dir);
    git(dir, "init", "-q");
    const global = path.join(tmp.dir, "gitconfig");
    writeFileSync(global, "[user]\n  name = Global\n  email = g@x\n");
    expect(await userIdentity(dir, { GIT_CONFIG_GLOBAL: global })).toEqual({ identity: { name: "Global", email: "g@x" }, source: `git config (${global})` });
    git(dir, "config", "user.name", "Local");
    expect((await userIdentity(dir, { GIT_CONFIG_GLOBAL: global }))?.identity).toEqual({ name: "Local", email: "g@x" });
    expect((await userIdentity(dir, { GIT_AUTHOR_NAME: "Env", GIT_AUTHOR_EMAIL: "e@x" }))?.identity).toEqual({ name: "Env", email: "e@x" });
    expect(await userIdentity(path.join(tmp.dir, "nowhere"), { GIT_CONFIG_GLOBAL: "/dev/null" })).toBeNull();
  });
});

describe("evolve cases record through the command line", () => {
  it("shows the case, refuses without an answer, and with --yes commits it as a user commit that evolve eval runs", async () => {
    const dir = project("record");
    git(dir, "init", "-q", "-b", "main");
    expect(evolve(["init", "--here", "--bare"], dir).status).toBe(0);
    const head = git(dir, "rev-parse", "HEAD");
    // init --here leaves the executable run.sh out of its commit: it stays untracked throughout.
    const status = git(dir, "status", "--porcelain");
    const asked = evolve(["cases", "record", "mean", "[1,2,6]"], dir);
    expect(asked.status, asked.stderr).toBe(2);
    expect(asked.stdout).toContain("value: 3");
    expect(asked.stderr).toMatch(/^error: .*--yes/m);
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(git(dir, "status", "--porcelain")).toBe(status);
    const yes = evolve(["cases", "record", "mean", "[1,2,6]", "--yes"], dir);
    expect(yes.status, yes.stderr).toBe(0);
    expect(git(dir, "rev-parse", "HEAD~1")).toBe(head);
    expect(git(dir, "status", "--porcelain")).toBe(status);
    const committed = git(dir, "show", "--name-only", "--format=%s", "HEAD");
    expect(committed).toMatch(/golden-tests\/.*\.yaml/);
    const run = evolve(["eval", "--json"], dir);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ passed: 1, total: 1 });
  }, 60_000);
});
