/**
 * Whose name goes on a commit the user asked for (evolve init, a recorded case): the identity native
 * git would use, looked up the way it looks (environment, then the repository's config, then the
 * user's global config). isomorphic-git reads only the repository's own config, hence the rest here.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import git from "isomorphic-git";
import { fs } from "./fs.js";
import type { Identity } from "./objects.js";

/** An identity and where it was found, e.g. "git config (~/.gitconfig)". */
export interface FoundIdentity {
  readonly identity: Identity;
  readonly source: string;
}

/**
 * The user's git identity for commits in `dir` (which may not be a repository yet), or null when
 * none is configured anywhere native git would look.
 */
export async function userIdentity(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<FoundIdentity | null> {
  const fromEnv = complete(env.GIT_AUTHOR_NAME, env.GIT_AUTHOR_EMAIL);
  if (fromEnv) return { identity: fromEnv, source: "GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL" };
  let name: string | undefined;
  let email: string | undefined;
  const local = await readUser(path.join(dir, ".git", "config"), dir);
  name = local.name;
  email = local.email;
  let source = "the repository's git config";
  for (const file of globalConfigFiles(env)) {
    if (name !== undefined && email !== undefined) break;
    const found = await readUser(file);
    if (found.name === undefined && found.email === undefined) continue;
    name ??= found.name;
    email ??= found.email;
    source = `git config (${file.replace(os.homedir(), "~")})`;
  }
  const identity = complete(name, email);
  return identity ? { identity, source } : null;
}

function complete(name: string | undefined, email: string | undefined): Identity | null {
  return name && email ? { name, email } : null;
}

/** Where native git reads global config: $GIT_CONFIG_GLOBAL alone, else XDG then ~/.gitconfig (the later wins, so it is read first). */
function globalConfigFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.GIT_CONFIG_GLOBAL !== undefined) return env.GIT_CONFIG_GLOBAL === "" ? [] : [env.GIT_CONFIG_GLOBAL];
  const home = env.HOME ?? os.homedir();
  const xdg = env.XDG_CONFIG_HOME || path.join(home, ".config");
  return [path.join(home, ".gitconfig"), path.join(xdg, "git", "config")];
}

async function readUser(file: string, repoDir?: string): Promise<{ name?: string; email?: string }> {
  if (repoDir !== undefined) {
    try {
      const name = (await git.getConfig({ fs, dir: repoDir, path: "user.name" })) as string | undefined;
      const email = (await git.getConfig({ fs, dir: repoDir, path: "user.email" })) as string | undefined;
      return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
    } catch {
      return {};
    }
  }
  const text = await readFile(file, "utf8").catch(() => "");
  return parseUserSection(text);
}

/** `[user] name = ... / email = ...` from a git config file (last value wins, as in git). */
export function parseUserSection(text: string): { name?: string; email?: string } {
  const out: { name?: string; email?: string } = {};
  let inUser = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      inUser = /^\[\s*user\s*\]$/i.test(line);
      continue;
    }
    if (!inUser) continue;
    const m = /^(name|email)\s*=\s*(.*)$/i.exec(line);
    if (!m) continue;
    const value = m[2]!.replace(/\s[#;].*$/, "").trim().replace(/^"(.*)"$/, "$1");
    if (value) out[m[1]!.toLowerCase() as "name" | "email"] = value;
  }
  return out;
}
