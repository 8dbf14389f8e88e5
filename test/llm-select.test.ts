/** Provider selection from config + flags, the local-address rule, and the per-provider queue. */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../workspace/config.js";
import { doctor } from "../agent/llm/doctor.js";
import { assertResolvesLocal, isLocalAddress, parseBaseUrl } from "../agent/llm/local-url.js";
import { LlmError } from "../agent/llm/provider.js";
import { createQueue } from "../agent/llm/queue.js";
import { resolveSettings, selectProvider } from "../agent/llm/select.js";

function thrown(fn: () => unknown): LlmError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    return err as LlmError;
  }
  throw new Error("expected a throw");
}

describe("resolveSettings", () => {
  const config = parseConfig("model: { provider: node-llama-cpp, name: models/tiny.gguf }\n").model;

  it("takes the config; a GGUF path is relative to the workspace", () => {
    expect(resolveSettings(config, {}, { workspace: "/ws", cwd: "/elsewhere" })).toEqual({ provider: "node-llama-cpp", model: path.resolve("/ws/models/tiny.gguf") });
  });

  it("flags win; a --model path is relative to the current folder", () => {
    expect(resolveSettings(config, { model: "other.gguf", threads: 2 }, { workspace: "/ws", cwd: "/here" })).toEqual({
      provider: "node-llama-cpp",
      model: path.resolve("/here/other.gguf"),
      threads: 2,
    });
  });

  it("--model naming a .gguf file selects node-llama-cpp without --provider", () => {
    const none = parseConfig("").model;
    expect(resolveSettings(none, { model: "m/x.gguf" }, { cwd: "/here" })).toEqual({ provider: "node-llama-cpp", model: path.resolve("/here/m/x.gguf") });
    const ollama = parseConfig("model: { provider: ollama, name: llama3 }\n").model;
    expect(resolveSettings(ollama, { model: "x.GGUF" }, { cwd: "/here" }).provider).toBe("node-llama-cpp");
    expect(resolveSettings(ollama, { model: "llama3:8b" }).provider).toBe("ollama");
    expect(resolveSettings(none, { model: "x.gguf", provider: "openai" }).provider).toBe("openai");
  });

  it("switching back-end with --provider drops the config's model and base URL", () => {
    const ollama = parseConfig("model: { provider: ollama, name: llama3, baseUrl: 'http://10.0.0.5:11434' }\n").model;
    expect(resolveSettings(ollama, { provider: "openai" })).toEqual({ provider: "openai" });
    expect(resolveSettings(ollama, {})).toEqual({ provider: "ollama", model: "llama3", baseUrl: "http://10.0.0.5:11434" });
    expect(resolveSettings(ollama, { baseUrl: "http://127.0.0.1:9999", allowRemote: true })).toEqual({ provider: "ollama", model: "llama3", baseUrl: "http://127.0.0.1:9999", allowRemote: true });
  });

  it("bad flags are named", () => {
    expect(thrown(() => resolveSettings(config, { provider: "openia" })).message).toBe('--provider: unknown provider "openia" (expected one of none, node-llama-cpp, ollama, openai)');
    expect(thrown(() => resolveSettings(config, { threads: 0 })).message).toBe("--threads: expected a whole number >= 1, got 0");
    expect(thrown(() => resolveSettings(config, { baseUrl: "localhost:11434/api" })).message).toMatch(/^--base-url: "localhost:11434\/api" is not an http:\/\/ or https:\/\/ URL/);
  });
});

describe("selectProvider", () => {
  it("builds each back-end, none for none, and nothing is contacted yet", () => {
    expect(selectProvider({ provider: "none" })).toBeNull();
    expect(selectProvider({ provider: "ollama", model: "llama3" })?.name).toBe("ollama");
    expect(selectProvider({ provider: "openai" })?.name).toBe("openai");
    expect(selectProvider({ provider: "node-llama-cpp", model: "/nowhere/x.gguf" })?.name).toBe("node-llama-cpp");
  });

  it("node-llama-cpp without a file, or a public base URL, is refused with the fix", () => {
    expect(thrown(() => selectProvider({ provider: "node-llama-cpp" })).message).toBe(
      "node-llama-cpp needs a GGUF file: set model.name in evolve.config.yaml to its path, or pass --model PATH",
    );
    const remote = thrown(() => selectProvider({ provider: "ollama", model: "x", baseUrl: "http://203.0.113.7:11434" }));
    expect(remote.kind).toBe("remote");
    // The hint names a setting that exists (there is no --allow-remote flag), and credentials in the URL are not echoed.
    expect(remote.message).toContain("`model.allowRemote: true` in evolve.config.yaml");
    expect(remote.message).not.toContain("--allow-remote");
    const secret = thrown(() => selectProvider({ provider: "ollama", model: "x", baseUrl: "http://user:hunter2@203.0.113.7:11434/?api_key=sk-123" }));
    expect(secret.message).toContain("http://***@203.0.113.7:11434/?api_key=***");
    expect(secret.message).not.toMatch(/hunter2|sk-123|user:/);
  });

  it("doctor: provider none is fine; a settings problem is one line", async () => {
    expect(await doctor({ provider: "none" })).toEqual({
      ok: true,
      lines: ["model: none (built-in AST operators only, no LLM)", "ok: no LLM configured; set model.provider (node-llama-cpp, ollama or openai) to use one"],
    });
    const r = await doctor({ provider: "node-llama-cpp" });
    expect(r.ok).toBe(false);
    expect(r.lines[1]).toBe("problem: node-llama-cpp needs a GGUF file: set model.name in evolve.config.yaml to its path, or pass --model PATH");
  });
});

describe("local addresses", () => {
  it("loopback, private, link-local and CGNAT are local; public addresses are not", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.1.1", "100.64.0.1", "::1", "fd12::1", "fe80::1", "::ffff:192.168.0.2"]) {
      expect(isLocalAddress(a), a).toBe(true);
    }
    for (const a of ["8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "not-an-ip"]) {
      expect(isLocalAddress(a), a).toBe(false);
    }
  });

  it("URLs: scheme and syntax are checked; localhost needs no DNS", async () => {
    expect(thrown(() => parseBaseUrl("ftp://127.0.0.1/", false, "model.baseUrl")).message).toBe('model.baseUrl: "ftp://127.0.0.1/" must be an http:// or https:// URL');
    expect(thrown(() => parseBaseUrl("nope", false, "model.baseUrl")).kind).toBe("config");
    await expect(assertResolvesLocal(new URL("http://localhost:11434"), false)).resolves.toBeUndefined();
    await expect(assertResolvesLocal(new URL("http://[::1]:11434"), false)).resolves.toBeUndefined();
  });
});

describe("queue", () => {
  it("grants slots in arrival order and never more than the limit", async () => {
    const q = createQueue(1);
    const order: string[] = [];
    const first = await q.acquire();
    const waiting = ["a", "b"].map((name) => q.acquire().then((release) => (order.push(name), release)));
    expect(q.waiting).toBe(2);
    first();
    first(); // a second release of the same slot changes nothing
    const releaseA = await waiting[0]!;
    expect(q.active).toBe(1);
    releaseA();
    (await waiting[1]!)();
    expect(order).toEqual(["a", "b"]);
    expect(q.active).toBe(0);
  });

  it("an aborted waiter leaves the line", async () => {
    const q = createQueue(1);
    const held = await q.acquire();
    const ac = new AbortController();
    const waiter = q.acquire(ac.signal);
    ac.abort(new Error("gave up"));
    await expect(waiter).rejects.toThrow("gave up");
    expect(q.waiting).toBe(0);
    held();
    expect(q.active).toBe(0);
  });
});
