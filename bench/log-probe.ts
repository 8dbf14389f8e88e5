/**
 * `node dist/bench/log-probe.js DIR REPEATS`: times reading a long history in a process that holds
 * nothing else, and prints {command, firstParentLog} in ms per repeat as JSON. The history benchmark
 * builds its repositories in its own process; timing the log there measured that process's heap
 * (hundreds of MB left by building 100,000 generations) as much as the log.
 */
import { logJsonChunks, logRows } from "../history/log-rows.js";
import { firstParentLog } from "../ledger/index.js";
import { walkFirstParentBatches } from "../ledger/log.js";

/** The text `evolve log --json` prints, made as the command makes it (chunks joined instead of written). */
export async function logJsonText(dir: string): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of logJsonChunks(logRows(walkFirstParentBatches(dir, "HEAD", {})))) parts.push(chunk);
  return parts.join("");
}

async function probe(dir: string, repeats: number): Promise<{ command: number[]; firstParentLog: number[]; generations: number }> {
  const command: number[] = [];
  const fpl: number[] = [];
  let generations = -1;
  for (let i = 0; i < repeats; i++) {
    let t = performance.now();
    const text = await logJsonText(dir);
    command.push(performance.now() - t);
    generations = Number(/"generation": (\d+)/.exec(text)?.[1] ?? -1);
    t = performance.now();
    await firstParentLog(dir, "HEAD");
    fpl.push(performance.now() - t);
  }
  return { command, firstParentLog: fpl, generations };
}

const [dir, repeats] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: log-probe.js DIR [REPEATS]");
process.stdout.write(`${JSON.stringify(await probe(dir, Number(repeats ?? 5)))}\n`);
