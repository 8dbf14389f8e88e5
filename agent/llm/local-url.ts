/**
 * evolve talks to local models only. A base URL must point at this machine or a private network
 * unless the user says `allowRemote: true`; prompts carry the user's code, and a cloud endpoint
 * reached by a typo would leak it.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { LlmError } from "./provider.js";
import { redact } from "../../kernel/redact.js";

const local = new BlockList();
for (const [net, bits] of [
  ["127.0.0.0", 8], // loopback
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["169.254.0.0", 16], // link-local
  ["100.64.0.0", 10], // carrier-grade NAT / tailnets
  ["0.0.0.0", 32], // "this host" on Linux
] as const) {
  local.addSubnet(net, bits, "ipv4");
}
local.addAddress("::1", "ipv6");
local.addAddress("::", "ipv6");
local.addSubnet("fc00::", 7, "ipv6"); // unique local
local.addSubnet("fe80::", 10, "ipv6"); // link-local

/** True for loopback, private, link-local and CGNAT addresses (IPv4, IPv6, and IPv4-mapped IPv6). */
export function isLocalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return local.check(address, "ipv4");
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return local.check(mapped[1], "ipv4");
  return local.check(address, "ipv6");
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, ""); // IPv6 literals come bracketed
}

function isLocalName(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost");
}

function refusal(url: string, why: string): LlmError {
  return new LlmError(
    "remote",
    `refusing base URL ${redact(url)}: ${redact(why)}. evolve talks to local models only; set \`model.allowRemote: true\` in evolve.config.yaml if you really mean to send prompts there`,
  );
}

/**
 * Parses a base URL and refuses what is certainly not local (a public IP literal, a scheme other
 * than http/https). Host names other than localhost are checked later by `assertResolvesLocal`.
 * `what` names the setting in errors, e.g. "model.baseUrl".
 */
export function parseBaseUrl(raw: string, allowRemote: boolean, what = "base URL"): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LlmError("config", `${what}: "${redact(raw)}" is not a URL (expected e.g. http://127.0.0.1:11434)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new LlmError("config", `${what}: "${redact(raw)}" must be an http:// or https:// URL`);
  }
  const host = hostOf(url);
  if (!allowRemote && isIP(host) && !isLocalAddress(host)) throw refusal(raw, `${host} is a public address`);
  return url;
}

const resolved = new Map<string, Promise<void>>();

/**
 * Resolves a host name and refuses it unless every address it has is local. Remembered per host for
 * the life of the process. A name that does not resolve passes: the request then fails to connect
 * and says so.
 */
export function assertResolvesLocal(url: URL, allowRemote: boolean): Promise<void> {
  const host = hostOf(url);
  if (allowRemote || isIP(host) || isLocalName(host)) return Promise.resolve();
  let check = resolved.get(host);
  if (!check) {
    check = lookup(host, { all: true }).then(
      (addresses) => {
        const outside = addresses.filter((a) => !isLocalAddress(a.address));
        if (outside.length) throw refusal(url.href, `${host} resolves to ${outside.map((a) => a.address).join(", ")}, not a local or private address`);
      },
      () => undefined,
    );
    resolved.set(host, check);
    check.catch(() => resolved.delete(host)); // a refusal is re-checked next time (DNS may change)
  }
  return check;
}
