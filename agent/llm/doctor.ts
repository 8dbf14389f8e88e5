/**
 * `evolve doctor` for the model: says exactly what works and what does not (file missing, server
 * down, model not pulled) and which models the server offers.
 */
import { errorText, type Provider } from "./provider.js";
import { type ProviderSettings, describeSettings, selectProvider } from "./select.js";

export interface DoctorReport {
  /** True when the configured provider can generate (or none is configured). */
  ok: boolean;
  /** Human-readable lines, each starting with "model:", "ok:", "problem:" or "models:". */
  lines: string[];
}

export async function doctor(settings: ProviderSettings): Promise<DoctorReport> {
  const lines = [`model: ${describeSettings(settings)}`];
  if (settings.provider === "none") {
    lines.push("ok: no LLM configured; set model.provider (node-llama-cpp, ollama or openai) to use one");
    return { ok: true, lines };
  }
  let provider: Provider | null;
  try {
    provider = selectProvider(settings);
  } catch (err) {
    lines.push(`problem: ${errorText(err)}`);
    return { ok: false, lines };
  }
  if (!provider) return { ok: true, lines };
  try {
    const health = await provider.health();
    if (provider.listModels) {
      try {
        const names = await provider.listModels();
        lines.push(`models: ${names.length ? names.join(", ") : "none"}`);
      } catch {
        // the health problem already says why the server cannot list them
      }
    }
    if (!health.ok) {
      lines.push(`problem: ${health.problem}`);
      return { ok: false, lines };
    }
    try {
      const info = await provider.info();
      const context = info.contextSize !== undefined ? `, context ${info.contextSize} tokens` : "";
      lines.push(`ok: ${info.model} is ready (identity ${info.identity}${context})`);
    } catch (err) {
      lines.push(`problem: ${errorText(err)}`);
      return { ok: false, lines };
    }
    return { ok: true, lines };
  } finally {
    await provider.close();
  }
}
