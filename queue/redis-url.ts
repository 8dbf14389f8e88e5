/**
 * The Redis address of a distributed run, as a person writes it: `redis://[user:password@]host:port[/db]`
 * or `rediss://...` for TLS. It becomes ioredis options (password, TLS passed through) and a redacted
 * form for every message, log line and error, so a password never reaches a terminal or a file.
 */
import { readFileSync } from "node:fs";
import { EvolveError } from "../kernel/errors.js";

/** Connection options handed to ioredis through BullMQ (its `connection`). */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: { servername?: string; ca?: string; rejectUnauthorized?: boolean };
  /** BullMQ workers need commands to wait through a reconnect instead of failing after N retries. */
  maxRetriesPerRequest: null;
}

/** Environment variable a password may come from, so it need not sit in a committed config. */
export const PASSWORD_ENV = "EVOLVE_REDIS_PASSWORD";

/**
 * Parses a Redis URL. TLS (`rediss://`) takes `?ca=FILE` (a PEM file), `?servername=NAME` and
 * `?insecure=1` (skip certificate checks; for test rigs only). A URL without a password takes it
 * from $EVOLVE_REDIS_PASSWORD when that is set. Anything else is refused naming the field.
 */
export function parseRedisUrl(text: string, env: NodeJS.ProcessEnv = process.env): RedisConnection {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not echoed: text that is not a URL cannot be trusted to be redacted.
    throw usage("--redis: the address is not a URL; expected redis://[user:password@]host:port[/db]", text);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw usage(`--redis: ${redactRedisUrl(text)}: the scheme must be redis:// or rediss:// (TLS), not ${url.protocol}//`, text);
  }
  if (url.hostname === "") throw usage(`--redis: ${redactRedisUrl(text)}: no host`, text);
  const port = url.port === "" ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15 || !/^\d*$/.test(dbText)) throw usage(`--redis: ${redactRedisUrl(text)}: the database (path) must be a number 0-15, got "${dbText}"`, text);
  const known = new Set(["ca", "servername", "insecure"]);
  for (const key of url.searchParams.keys()) {
    if (!known.has(key)) throw usage(`--redis: ${redactRedisUrl(text)}: unknown option "${key}" (known: ca, servername, insecure)`, text);
  }
  if (url.protocol === "redis:" && url.search !== "") throw usage(`--redis: ${redactRedisUrl(text)}: ca, servername and insecure are TLS options; use rediss://`, text);
  const out: RedisConnection = { host: url.hostname.replace(/^\[|\]$/g, ""), port, db, maxRetriesPerRequest: null };
  if (url.username !== "") out.username = decodeURIComponent(url.username);
  const password = url.password !== "" ? decodeURIComponent(url.password) : env[PASSWORD_ENV];
  if (password !== undefined && password !== "") out.password = password;
  if (url.protocol === "rediss:") out.tls = tlsOptions(url, text);
  return out;
}

function tlsOptions(url: URL, text: string): NonNullable<RedisConnection["tls"]> {
  const tls: NonNullable<RedisConnection["tls"]> = {};
  const ca = url.searchParams.get("ca");
  if (ca !== null) {
    try {
      tls.ca = readFileSync(ca, "utf8");
    } catch {
      throw usage(`--redis: ${redactRedisUrl(text)}: cannot read the CA file ${ca}`, text);
    }
  }
  const servername = url.searchParams.get("servername");
  if (servername !== null) tls.servername = servername;
  if (url.searchParams.get("insecure") === "1") tls.rejectUnauthorized = false;
  return tls;
}

/** The URL with its password replaced by `***`: the only form of it evolve ever prints. */
export function redactRedisUrl(text: string): string {
  // Done on the text, not through URL, so that even an unparsable address loses its password.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_m, scheme: string, auth: string) => {
    const colon = auth.indexOf(":");
    return colon < 0 ? `${scheme}${auth}@` : `${scheme}${auth.slice(0, colon)}:***@`;
  });
}

function usage(message: string, text: string): EvolveError {
  return new EvolveError("usage", message, URL.canParse(text) ? { redis: redactRedisUrl(text) } : {});
}
