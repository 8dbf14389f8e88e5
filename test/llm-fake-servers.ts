/**
 * Real HTTP servers (node:http on 127.0.0.1, port 0) speaking Ollama's and the OpenAI-compatible
 * wire formats, scripted per request so tests can make them fail in each way a real server does.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  path: string;
  body: any;
}

/** How the server answers one generation request. */
export interface Plan {
  /** Answer with this error status instead (body in the server's error format). */
  status?: number;
  error?: string;
  chunks?: string[];
  /** Pause before each chunk. */
  delayMs?: number;
  /** Destroy the socket after this many chunks. */
  closeAfter?: number;
  /** End the response cleanly after the chunks, without the final message. */
  noFinal?: boolean;
  /** Send an in-stream error after this many chunks. */
  errorAfter?: number;
  /** Never answer. */
  hang?: boolean;
  /** Send this many chunks, then stall forever. */
  stallAfter?: number;
}

export interface FakeServer {
  url: string;
  seen: Seen[];
  /** Generation requests in flight right now, and the most seen at once. */
  stats: { active: number; maxActive: number };
  /** Called for the n-th generation request (0-based). */
  plan: (n: number, body: any) => Plan;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readBody(req: http.IncomingMessage): Promise<any> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

async function listen(handle: (req: http.IncomingMessage, res: http.ServerResponse, body: any, server: FakeServer) => Promise<void>): Promise<FakeServer> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  const fake: FakeServer = {
    url: `http://127.0.0.1:${port}`,
    seen: [],
    stats: { active: 0, maxActive: 0 },
    plan: () => ({}),
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
  srv.on("request", (req, res) => {
    void (async () => {
      const body = await readBody(req);
      fake.seen.push({ method: req.method ?? "", path: req.url ?? "", body });
      await handle(req, res, body, fake);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  return fake;
}

function json(res: http.ServerResponse, status: number, data: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(data));
}

/** Runs a plan: shared by both formats; `frame` turns a chunk/final/error into wire bytes. */
async function runPlan(
  res: http.ServerResponse,
  plan: Plan,
  fake: FakeServer,
  contentType: string,
  frame: { chunk(text: string): string; final(count: number): string; error(message: string): string },
  errorBody: (message: string) => unknown,
): Promise<void> {
  if (plan.hang) return; // the test's deadline must end this
  if (plan.status) return json(res, plan.status, errorBody(plan.error ?? "busy"));
  fake.stats.active++;
  fake.stats.maxActive = Math.max(fake.stats.maxActive, fake.stats.active);
  res.on("close", () => fake.stats.active--);
  res.writeHead(200, { "content-type": contentType });
  const chunks = plan.chunks ?? ["Hello", ",", " world"];
  for (const [i, c] of chunks.entries()) {
    if (plan.closeAfter === i) return destroySoon(res);
    if (plan.errorAfter === i) return void res.end(frame.error("out of memory"));
    if (plan.stallAfter === i) return;
    if (plan.delayMs) await sleep(plan.delayMs);
    // Wait until the bytes are on the wire, so a destroy that follows cannot discard them.
    await new Promise<void>((r) => res.write(frame.chunk(c), () => r()));
  }
  if (plan.closeAfter === chunks.length) return destroySoon(res);
  if (plan.noFinal) return void res.end();
  res.end(frame.final(chunks.length));
}

/** Kills the connection mid-response, after what was written has had time to reach the client. */
async function destroySoon(res: http.ServerResponse): Promise<void> {
  await sleep(30);
  res.socket?.destroy();
}

export interface OllamaModel {
  name: string;
  digest: string;
}

export const OLLAMA_MODELS: OllamaModel[] = [
  { name: "llama3:latest", digest: "365c0bd3c000a25d28ddbf732fe1c6add414de7275464c4e4d1c3b5fcb5d8ad1" },
  { name: "qwen2.5-coder:7b", digest: "2b0496514337a3d5901f1d253d01726c890b721e891335a56d6e08cedf3e2cb0" },
];

/** Ollama's documented API: /api/tags, /api/show, /api/generate and /api/chat (NDJSON). */
export function fakeOllama(models: OllamaModel[] = OLLAMA_MODELS): Promise<FakeServer> {
  let generations = 0;
  const known = (name: unknown) => models.find((m) => m.name === name || m.name === `${String(name)}:latest`);
  return listen(async (req, res, body, fake) => {
    const at = new Date().toISOString();
    if (req.method === "GET" && req.url === "/api/tags") {
      return json(res, 200, {
        models: models.map((m) => ({ name: m.name, model: m.name, modified_at: at, size: 4661224676, digest: m.digest, details: { format: "gguf", family: "llama" } })),
      });
    }
    if (req.method === "POST" && req.url === "/api/show") {
      const m = known(body?.model);
      if (!m) return json(res, 404, { error: `model '${body?.model}' not found` });
      return json(res, 200, {
        modelfile: "FROM ...",
        details: { format: "gguf", family: "llama", parameter_size: "8.0B", quantization_level: "Q4_0" },
        model_info: { "general.architecture": "llama", "llama.context_length": 8192 },
      });
    }
    if (req.method === "POST" && (req.url === "/api/generate" || req.url === "/api/chat")) {
      const m = known(body?.model);
      if (!m) return json(res, 404, { error: `model '${body?.model}' not found` });
      const chat = req.url === "/api/chat";
      const plan = fake.plan(generations++, body);
      const line = (o: object) => `${JSON.stringify({ model: m.name, created_at: at, ...o })}\n`;
      return runPlan(
        res,
        plan,
        fake,
        "application/x-ndjson",
        {
          chunk: (t) => line(chat ? { message: { role: "assistant", content: t }, done: false } : { response: t, done: false }),
          final: (n) =>
            line({ ...(chat ? { message: { role: "assistant", content: "" } } : { response: "" }), done: true, done_reason: "stop", total_duration: 1000, prompt_eval_count: 7, eval_count: n }),
          error: (message) => `${JSON.stringify({ error: message })}\n`,
        },
        (message) => ({ error: message }),
      );
    }
    json(res, 404, { error: "404 page not found" });
  });
}

/** The OpenAI-compatible API as LM Studio/vLLM serve it: /v1/models, /v1/chat/completions (SSE). */
export function fakeOpenAi(models: string[] = ["qwen2.5-coder-7b-instruct"]): Promise<FakeServer> {
  let generations = 0;
  return listen(async (req, res, body, fake) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      return json(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model", owned_by: "organization_owner" })) });
    }
    if (req.method === "POST" && req.url === "/v1/chat/completions") {
      if (!models.includes(body?.model)) return json(res, 404, { error: { message: `The model \`${body?.model}\` does not exist.`, type: "invalid_request_error", code: "model_not_found" } });
      const plan = fake.plan(generations++, body);
      const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1700000000, model: body.model };
      const event = (o: object) => `data: ${JSON.stringify({ ...base, ...o })}\n\n`;
      return runPlan(
        res,
        plan,
        fake,
        "text/event-stream",
        {
          chunk: (t) => event({ choices: [{ index: 0, delta: { content: t }, finish_reason: null }] }),
          final: (n) =>
            event({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) +
            event({ choices: [], usage: { prompt_tokens: 9, completion_tokens: n, total_tokens: 9 + n } }) +
            "data: [DONE]\n\n",
          error: (message) => `data: ${JSON.stringify({ error: { message } })}\n\n`,
        },
        (message) => ({ error: { message, type: "server_error" } }),
      );
    }
    json(res, 404, { error: { message: `Unexpected endpoint or method. (${req.method} ${req.url})` } });
  });
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
