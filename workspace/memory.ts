/**
 * Where a workspace keeps its learning memory: `<gitdir>/evolve/memory.sqlite`, beside the
 * interaction store and, like it, never in the workspace's tree.
 */
import path from "node:path";
import { gitdirOf } from "../ledger/index.js";
import { MEMORY_FILE, openLearningMemory, type LearningMemory } from "../memory/store.js";

export async function memoryPath(root: string): Promise<string> {
  return path.join(await gitdirOf(root), "evolve", MEMORY_FILE);
}

/** The workspace's memory: writers (`create`) get it created; readers get null when nothing was learned yet. */
export async function openWorkspaceMemory(root: string, options: { create: boolean }): Promise<LearningMemory | null> {
  return openLearningMemory(await memoryPath(root), options);
}
