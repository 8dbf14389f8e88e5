/** The local LLM layer: providers, structured output, response cache, selection and doctor. */
export * from "./provider.js";
export { createLlamaCppProvider, ggufIdentity, type LlamaCppSettings } from "./llama-cpp.js";
export { createOllamaProvider, OLLAMA_DEFAULT_URL, type OllamaSettings } from "./ollama.js";
export { createOpenAiProvider, OPENAI_DEFAULT_URL, type OpenAiSettings } from "./openai.js";
export { generateJson, type JsonResult } from "./structured.js";
export { cached, cacheKey, createResponseCache, isCacheable, type CacheEntry, type CacheStats, type ResponseCache } from "./cache.js";
export { describeSettings, resolveSettings, selectProvider, type ModelSection, type ProviderFlags, type ProviderSettings } from "./select.js";
export { doctor, type DoctorReport } from "./doctor.js";
export { DEFAULT_HTTP, type HttpSettings } from "./http.js";
export { createQueue, type Queue } from "./queue.js";
export { isLocalAddress } from "./local-url.js";
