/**
 * `evolve serve`'s HTTP server: routes, the bearer token, the request size and concurrency limits,
 * the model list and feedback. Answering is chat.ts; which generation answers is generations.ts.
 *
 *   GET  /v1/models              the workspace's agent, named after it, with the generation served
 *   POST /v1/chat/completions    an answer, streamed (SSE) or whole
 *   POST /v1/feedback            {id, good | bad | rating, expected?, note?} on a served interaction
 *                                (also at /evolve/feedback)
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { explicitFeedback } from "../interactions/index.js";
import { EvolveError } from "../kernel/errors.js";
import { handleChat, httpErrorOf, type ChatDeps } from "./chat.js";
import { authorised, readJsonBody, sendJson } from "./http-io.js";
import { errorBody } from "./wire.js";

export interface ServerOptions extends ChatDeps {
  /** Required as `Authorization: Bearer TOKEN` on every request; null: no token (loopback only). */
  token: string | null;
  maxRequestBytes: number;
  /** Chat requests in flight at once; one more is answered 429 at once. */
  maxConcurrent: number;
}

export interface EvolveServer {
  /** `http://HOST:PORT`, with the port the system chose for port 0. */
  url: string;
  /** Chat requests in flight now. */
  readonly active: number;
  /** Stops accepting requests, lets those in flight finish (up to `graceMs`), then closes. */
  close(graceMs?: number): Promise<void>;
}

/** The feedback body, checked field by field (the store checks the id exists). */
function feedbackOf(body: unknown): { id: number; input: ReturnType<typeof explicitFeedback> } {
  const b = (body ?? {}) as Record<string, unknown>;
  const bad = (param: string, message: string) => new EvolveError("usage", message, { param });
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad("body", "the feedback body must be a JSON object: {id, good | bad | rating, expected?, note?}");
  if (!Number.isSafeInteger(b.id) || (b.id as number) < 1) throw bad("id", "id must be an interaction id (a whole number >= 1, as the x-evolve-interaction header gives it)");
  for (const k of ["good", "bad"] as const) if (b[k] !== undefined && typeof b[k] !== "boolean") throw bad(k, `${k} must be true or false`);
  for (const k of ["expected", "note"] as const) if (b[k] !== undefined && typeof b[k] !== "string") throw bad(k, `${k} must be a string`);
  if (b.rating !== undefined && typeof b.rating !== "number") throw bad("rating", "rating must be a whole number from 1 to 5");
  const given = [b.good === true, b.bad === true, b.rating !== undefined].filter(Boolean).length;
  if (given !== 1) throw bad("body", "give exactly one of good: true, bad: true or rating: 1-5");
  if (b.good === true && b.expected !== undefined) throw bad("expected", "expected goes with bad or a low rating: a good answer is already what was expected");
  const input = explicitFeedback({
    ...(b.good === true ? { good: true } : {}),
    ...(b.bad === true ? { bad: true } : {}),
    ...(b.rating !== undefined ? { rating: b.rating as number } : {}),
    ...(b.expected !== undefined ? { expected: b.expected as string } : {}),
    ...(b.note !== undefined ? { note: b.note as string } : {}),
  });
  return { id: b.id as number, input };
}

function models(o: ServerOptions) {
  const g = o.generations.current();
  return {
    object: "list",
    data: [{ id: g.config.agent.name, object: "model", created: Math.floor(Date.now() / 1000), owned_by: "evolve", evolve: { generation: g.generation, commit: g.commit, branch: o.generations.branch } }],
  };
}

/** Listens on `host:port`; `listen` errors (port in use, address not here) are refused as `usage`. */
export async function startServer(o: ServerOptions, host: string, port: number): Promise<EvolveServer> {
  let active = 0;
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (!authorised(req, o.token)) {
      return sendJson(res, 401, errorBody("authentication_error", "missing or wrong bearer token (Authorization: Bearer TOKEN, as evolve serve printed it)", null, "invalid_api_key"), { "www-authenticate": "Bearer" });
    }
    if (req.method === "GET" && (path === "/v1/models" || path === "/models")) return sendJson(res, 200, models(o));
    if (req.method === "POST" && (path === "/v1/chat/completions" || path === "/chat/completions")) {
      if (active >= o.maxConcurrent) {
        return sendJson(res, 429, errorBody("rate_limit_error", `${active} requests are being answered (serve.maxConcurrent = ${o.maxConcurrent}); retry shortly`), { "retry-after": "1" });
      }
      active++;
      try {
        return await handleChat(o, req, res, await readJsonBody(req, o.maxRequestBytes));
      } finally {
        active--;
      }
    }
    if (req.method === "POST" && (path === "/v1/feedback" || path === "/evolve/feedback")) {
      const { id, input } = feedbackOf(await readJsonBody(req, o.maxRequestBytes));
      if (o.store === null) throw new EvolveError("not-found", `no interaction ${id}: recording is off on this server`, { what: "interaction", id });
      return sendJson(res, 200, { id, feedback: o.store.addFeedback(id, input) });
    }
    return sendJson(res, 404, errorBody("not_found_error", `no route ${req.method} ${path} (GET /v1/models, POST /v1/chat/completions, POST /v1/feedback)`));
  };
  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const e = httpErrorOf(err);
      if (e.status === 500) o.log(`internal error on ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      const message = e.status === 500 && !(err instanceof EvolveError) ? "internal error in evolve serve (logged)" : err instanceof Error ? err.message : String(err);
      // A refused body is not read to its end: close the connection rather than read what we refused.
      sendJson(res, e.status, errorBody(e.type, message, e.param), e.status === 413 ? { connection: "close" } : {});
      if (!res.writableEnded) res.end();
    });
  });
  server.requestTimeout = 0; // a long answer is not a slow client; the model's own deadline bounds it
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "EADDRINUSE" ? "is in use (pass --port, or stop what listens there)" : err.code === "EADDRNOTAVAIL" ? "is not an address of this machine" : err.code === "EACCES" ? "needs privileges (use a port above 1023)" : `cannot be used (${err.code ?? err.message})`;
      reject(new EvolveError("usage", `${host}:${port} ${why}`, { host, port, errno: err.code ?? null }));
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    get active() {
      return active;
    },
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
