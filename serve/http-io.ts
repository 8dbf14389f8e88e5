/**
 * The HTTP edges of `evolve serve`: a request body read with a size cap and parsed as JSON, the
 * bearer-token check, whether an address is loopback, and JSON replies. Every request is hostile
 * until read: the cap is enforced while reading, so an oversized body is never buffered whole.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { EvolveError } from "../kernel/errors.js";

/** Why a body was refused: too large (413) or not JSON (400). */
export interface BodyErrorData {
  status: 413 | 400;
  param: null;
}

/** Reads the body up to `maxBytes` and parses it as JSON; refuses with `usage` (data.status 413 or 400). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EvolveError<BodyErrorData>("usage", text.trim() === "" ? "the request has no body: send a JSON object" : "the request body is not valid JSON", { status: 400, param: null });
  }
}

function tooLarge(maxBytes: number): EvolveError<BodyErrorData> {
  return new EvolveError<BodyErrorData>("usage", `the request body is larger than ${maxBytes} bytes (serve.maxRequestBytes)`, { status: 413, param: null });
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "::ffff:127.0.0.1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/** A fresh bearer token: 32 random bytes, URL-safe. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Tokens people pass with --token: printable, no spaces (they travel in a header), long enough to resist guessing. */
export function checkToken(token: string): void {
  if (!/^[\x21-\x7e]+$/.test(token)) throw new EvolveError("usage", "--token: a token is printable ASCII without spaces (it travels in the Authorization header)", { flag: "--token" });
  if (token.length < 16) throw new EvolveError("usage", `--token: a token needs at least 16 characters, got ${token.length}`, { flag: "--token" });
}

/** Whether the request carries `Authorization: Bearer <token>`; compared in constant time. */
export function authorised(req: IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** A JSON reply; headers that were already sent (a stream) are left alone. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
