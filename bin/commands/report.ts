/**
 * `evolve report [--out FILE] [--since DURATION]`: one self-contained HTML file with the scores and
 * holdout per generation, live metrics per generation and per day against their alert thresholds,
 * accepted changes with their diffs, rejected attempts by operator and stage, A/B tests, open alerts
 * and recommendations. By default it is written under .git/evolve/ so it never dirties the work tree.
 */
import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { EvolveError } from "../../kernel/errors.js";
import { parseTimePoint } from "../../interactions/index.js";
import { gitdirOf } from "../../ledger/index.js";
import { gatherReport } from "../../report/gather.js";
import { reportHtml } from "../../report/html.js";
import { fail, output } from "../output.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface ReportFlags {
  workspace?: string;
  out?: string;
  since?: string;
  json?: boolean;
}

/** Refuses, before anything is read or written, an --out whose folder is missing or that names a folder. */
function checkOut(file: string): void {
  const dir = path.dirname(file);
  const parent = statSync(dir, { throwIfNoEntry: false });
  if (!parent?.isDirectory()) throw new EvolveError("usage", `--out ${file}: the folder ${dir} does not exist`, { flag: "--out", value: file });
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new EvolveError("usage", `--out ${file}: is a folder; name the HTML file to write`, { flag: "--out", value: file });
}

export async function reportCommand(flags: ReportFlags): Promise<void> {
  const out = output(flags.json === true);
  try {
    const now = Date.now();
    const since = flags.since === undefined ? null : parseTimePoint("--since", flags.since, now);
    const root = workspaceFromFlag(flags.workspace);
    const file = flags.out !== undefined ? path.resolve(flags.out) : path.join(await gitdirOf(root), "evolve", "report.html");
    if (flags.out !== undefined) checkOut(file);
    const data = await gatherReport({ root, since, now });
    const html = reportHtml(data);
    mkdirSync(path.dirname(file), { recursive: true });
    // Written aside and renamed: a browser that has the file open never sees half a report.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, html);
    renameSync(temp, file);
    out.say(`report: ${data.generations.length} generation(s), ${data.rejected.total} rejected attempt(s), ${data.live.overall.interactions} interaction(s), ${data.alerts.length} open alert(s)`);
    out.say(`wrote ${file} (${Math.ceil(html.length / 1024)} KiB); open ${pathToFileURL(file).href}`);
    if (out.isJson) out.json({ file, bytes: Buffer.byteLength(html), report: data });
  } catch (e) {
    fail(e);
  }
}
