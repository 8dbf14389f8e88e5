import { createReadStream, promises as fsp } from "node:fs";

/** What reading a line-oriented file found besides its lines. */
export interface LineScan {
  /** Bytes of the file (all of it, also what was not read). */
  size: number;
  /** Bytes before the first line read: the file was longer than the window. */
  skippedBytes: number;
  /** Lines longer than the bound, passed over without being held in memory. */
  oversize: number;
  /** The file does not end with a newline: its last line was cut short (a crash mid-write). */
  torn: boolean;
}

/**
 * Reads the newest part of a file of newline-terminated lines: at most the last `windowBytes`
 * (a partial first line there is skipped), line by line, never holding more than `maxLineBytes` of
 * one line. `onLine` gets each complete line (without its newline) and its 1-based number counted
 * from where reading began. A missing file reads as empty; only the bytes present when reading began
 * are read (a writer appending meanwhile cannot keep it going), and anything but a regular file is refused.
 */
export async function readLines(path: string, options: { windowBytes: number; maxLineBytes: number }, onLine: (line: string, number: number) => void): Promise<LineScan> {
  const stat = await fsp.stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (stat === undefined) return { size: 0, skippedBytes: 0, oversize: 0, torn: false };
  // A device or pipe put in the file's place (/dev/zero, /dev/full, a FIFO) would be read forever.
  if (!stat.isFile() && !stat.isDirectory()) throw new Error(`${path} is not a regular file`);
  if (stat.size === 0) return { size: 0, skippedBytes: 0, oversize: 0, torn: false };
  const start = Math.max(0, stat.size - options.windowBytes);
  const scan: LineScan = { size: stat.size, skippedBytes: start, oversize: 0, torn: false };
  let parts: Buffer[] = [];
  // Bytes of the current line so far (also while it is being skipped).
  let length = 0;
  // Starting mid-file, the first line is a fragment; a line over the bound is dropped as it streams.
  let fragment = start > 0;
  let number = 0;
  const end = (piece: Buffer) => {
    number++;
    length += piece.length;
    if (fragment) fragment = false;
    else if (length > options.maxLineBytes) scan.oversize++;
    else {
      parts.push(piece);
      const line = Buffer.concat(parts).toString("utf8");
      if (line.trim() !== "") onLine(line, number);
    }
    parts = [];
    length = 0;
  };
  for await (const chunk of createReadStream(path, { start, end: stat.size - 1, highWaterMark: 1 << 16 }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      end(chunk.subarray(from, nl));
      from = nl + 1;
    }
    if (from < chunk.length) {
      const rest = chunk.subarray(from);
      length += rest.length;
      // Held only while the line can still be kept; copied so the 64 KB chunk is not kept alive.
      if (!fragment && length <= options.maxLineBytes) parts.push(Buffer.from(rest));
      else parts = [];
    }
  }
  // Bytes after the last newline: a line whose writer died before finishing it.
  scan.torn = length > 0;
  return scan;
}
