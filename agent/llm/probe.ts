/**
 * Metadata look-ups against a local HTTP model server (its model list, one model's description):
 * JSON fetched under a short deadline of its own, so health checks and `info` fail fast instead of
 * waiting out a generation's deadline.
 */
import { type HttpSettings, deadline, request } from "./http.js";
import { assertResolvesLocal } from "./local-url.js";
import { LlmError } from "./provider.js";

const PROBE_MS = 10_000;

/** A server as a provider reaches it. `server` names it in every error; `root` is the base URL without trailing slashes. */
export interface ProbeTarget {
  server: string;
  base: URL;
  root: string;
  allowRemote: boolean;
  http: HttpSettings;
  headers?: Record<string, string>;
}

/** GETs `root + path` (POSTs `body` when given) and resolves with the parsed JSON answer. */
export async function probeJson(target: ProbeTarget, path: string, body: unknown, retries: number): Promise<unknown> {
  const { server, http } = target;
  const timeoutMs = Math.min(PROBE_MS, http.timeoutMs);
  const clock = deadline(timeoutMs);
  try {
    await assertResolvesLocal(target.base, target.allowRemote);
    const res = await request({
      server,
      method: body === undefined ? "GET" : "POST",
      url: `${target.root}${path}`,
      body,
      ...(target.headers ? { headers: target.headers } : {}),
      signal: clock.signal,
      retries,
      backoffMs: http.backoffMs,
    });
    return await res.json();
  } catch (err) {
    if (clock.expired) throw new LlmError("timeout", `${server} did not answer ${path} within ${timeoutMs} ms`);
    throw err;
  } finally {
    clock.dispose();
  }
}
