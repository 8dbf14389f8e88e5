import { EvolveError } from "../kernel/errors.js";
import { makeObject, type GitObject } from "./fs.js";

/** Who made a commit or tag. `timestamp`: seconds since the epoch (default: now); `timezoneOffset`: minutes east of UTC (default 0). */
export interface Identity {
  readonly name: string;
  readonly email: string;
  readonly timestamp?: number;
  readonly timezoneOffset?: number;
}

/** Author, committer and tagger when the caller names nobody. */
export const DEFAULT_IDENTITY: Identity = { name: "evolve", email: "evolve@localhost" };

/** `name <email> seconds +hhmm`, the form git stores; rejects anything `git fsck --strict` would. */
export function formatIdentity(identity: Identity = DEFAULT_IDENTITY, what = "author"): string {
  const { name, email } = identity;
  if (name.trim() === "" || /[<>\n\0]/.test(name)) throw new Error(`${what}.name ${JSON.stringify(name)}: must be non-empty without < > or newline`);
  if (/[<>\n\0]/.test(email)) throw new Error(`${what}.email ${JSON.stringify(email)}: must not contain < > or newline`);
  const seconds = identity.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`${what}.timestamp ${seconds}: must be whole seconds >= 0`);
  const offset = identity.timezoneOffset ?? 0;
  if (!Number.isInteger(offset) || Math.abs(offset) >= 24 * 60) throw new Error(`${what}.timezoneOffset ${offset}: must be whole minutes within a day`);
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
  return `${name.trim()} <${email}> ${seconds} ${zone}`;
}

/** A commit object. `message` gets exactly one final newline. */
export function commitObject(tree: string, parents: readonly string[], identity: string, message: string): GitObject {
  const lines = [`tree ${tree}`, ...parents.map((p) => `parent ${p}`), `author ${identity}`, `committer ${identity}`];
  return makeObject("commit", Buffer.from(`${lines.join("\n")}\n\n${endLine(message)}`, "utf8"));
}

/** An annotated tag object pointing at a commit. */
export function tagObject(commit: string, name: string, tagger: string, message: string): GitObject {
  const text = `object ${commit}\ntype commit\ntag ${name}\ntagger ${tagger}\n\n${endLine(message)}`;
  return makeObject("tag", Buffer.from(text, "utf8"));
}

function endLine(message: string): string {
  return `${message.replace(/\r\n/g, "\n").replace(/\n+$/, "")}\n`;
}

/** Throw EvolveError `bad-ref-name` unless `name` is a valid short branch or tag name (a safe subset of `git check-ref-format`). */
export function checkRefName(name: string, what: string): void {
  const ok =
    /^[A-Za-z0-9._/-]+$/.test(name) &&
    !name.startsWith("-") &&
    !name.split("/").some((part) => part === "" || part.startsWith(".") || part.endsWith(".lock")) &&
    !name.includes("..") &&
    !name.endsWith(".") &&
    name !== "HEAD";
  if (!ok) throw new EvolveError("bad-ref-name", `${what} ${JSON.stringify(name)}: not a valid git ref name`, { name });
}
