/**
 * Reading objects out of a git packfile in bulk: the pack and its version-2 index are read into
 * memory once, an object is found by binary search in the index and inflated from the buffer, and
 * deltas (OFS_DELTA, REF_DELTA) are applied here. isomorphic-git reads a packed commit through many
 * layers per call (about 0.6 ms each); a long history is thousands of such calls.
 *
 * Formats as documented in git's Documentation/gitformat-pack.txt. Everything read is checked
 * against the file's bounds: a damaged pack is a `storage` error naming the file, never a crash.
 */
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { EvolveError } from "../kernel/errors.js";

/** A git object's type and content (without the `type size\0` header). */
export interface RawObject {
  readonly type: "commit" | "tree" | "blob" | "tag";
  readonly content: Buffer;
}

const TYPES = [undefined, "commit", "tree", "blob", "tag"] as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** A delta chain longer than this is refused (git's own default depth is 50). */
const MAX_CHAIN = 10_000;

/** One pack and its index, held in memory. */
export interface Pack {
  readonly path: string;
  /** The object count. */
  readonly count: number;
  /** The object of id `oid` (40 hex digits), or undefined when this pack lacks it. */
  read(oid: string): RawObject | undefined;
  /** Whether this pack holds `oid`. */
  has(oid: string): boolean;
  /** Every object id whose hex form starts with `prefix` (for abbreviated ids). */
  matching(prefix: string): string[];
}

/** A pack and its index in memory, with where the index's tables start. */
interface PackData {
  readonly path: string;
  readonly idx: Buffer;
  readonly pack: Buffer;
  readonly count: number;
  readonly names: number;
  readonly offsets: number;
  readonly large: number;
  readonly damaged: (what: string) => never;
  readonly readBase: (oid: string) => RawObject | undefined;
  /** Pack offset -> inflated object, for delta bases read more than once. */
  readonly bases: Map<number, RawObject>;
}

/**
 * Open `pack-X.pack` by its index path `pack-X.idx`. `readBase` resolves a REF_DELTA base that
 * lives outside this pack (a thin pack completed by another); it may return undefined.
 */
export function openPack(idxPath: string, readBase: (oid: string) => RawObject | undefined): Pack {
  const packPath = `${idxPath.slice(0, -".idx".length)}.pack`;
  const idx = readFileSync(idxPath);
  const pack = readFileSync(packPath);
  const damaged = (what: string): never => {
    throw new EvolveError("storage", `${packPath}: damaged pack (${what}); run \`git fsck\``, { path: packPath });
  };
  if (idx.length < 8 + 1024 || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) damaged("index is not version 2");
  if (pack.length < 12 || pack.toString("latin1", 0, 4) !== "PACK") damaged("no PACK header");
  const count = idx.readUInt32BE(8 + 255 * 4);
  const names = 8 + 1024;
  const p: PackData = { path: packPath, idx, pack, count, names, offsets: names + count * 24, large: names + count * 28, damaged, readBase, bases: new Map() };
  if (idx.length < p.large + 40) damaged("index shorter than its object count");
  return {
    path: packPath,
    count,
    read(oid) {
      const i = find(p, Buffer.from(oid, "hex"));
      return i < 0 ? undefined : readAt(p, offsetOf(p, i), 0);
    },
    has: (oid) => find(p, Buffer.from(oid, "hex")) >= 0,
    matching(prefix) {
      const out: string[] = [];
      const first = Number.parseInt(prefix.slice(0, 2), 16);
      const lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
      const hi = idx.readUInt32BE(8 + first * 4);
      for (let i = lo; i < hi; i++) {
        const hex = idx.toString("hex", names + i * 20, names + i * 20 + 20);
        if (hex.startsWith(prefix)) out.push(hex);
      }
      return out;
    },
  };
}

/** Position of `oid` in the index's sorted name table (fan-out, then binary search), or -1. */
function find(p: PackData, oid: Buffer): number {
  const first = oid[0]!;
  let lo = first === 0 ? 0 : p.idx.readUInt32BE(8 + (first - 1) * 4);
  let hi = p.idx.readUInt32BE(8 + first * 4);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = p.idx.compare(oid, 0, 20, p.names + mid * 20, p.names + mid * 20 + 20);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** Pack offset of the index's object `i` (32-bit, or through the large-offset table). */
function offsetOf(p: PackData, i: number): number {
  const v = p.idx.readUInt32BE(p.offsets + i * 4);
  if ((v & 0x80000000) === 0) return v;
  const at = p.large + (v & 0x7fffffff) * 8;
  if (at + 8 > p.idx.length) p.damaged("large offset out of range");
  return Number(p.idx.readBigUInt64BE(at));
}

/** The object whose entry starts at pack offset `start`, deltas applied. */
function readAt(p: PackData, start: number, depth: number): RawObject {
  const { pack, damaged } = p;
  if (depth > MAX_CHAIN) damaged(`delta chain longer than ${MAX_CHAIN}`);
  const cached = p.bases.get(start);
  if (cached) return cached;
  let at = start;
  if (at >= pack.length - 20) damaged(`offset ${at} beyond the end`);
  let byte = pack[at++]!;
  const kind = (byte >> 4) & 7;
  let size = byte & 15;
  for (let shift = 4; byte & 0x80; shift += 7) {
    byte = pack[at++]!;
    size += (byte & 0x7f) * 2 ** shift;
  }
  let base: RawObject | undefined;
  if (kind === OFS_DELTA) {
    byte = pack[at++]!;
    let back = byte & 0x7f;
    while (byte & 0x80) {
      byte = pack[at++]!;
      back = (back + 1) * 128 + (byte & 0x7f);
    }
    if (back <= 0 || back > start) damaged(`delta base offset out of range at ${start}`);
    base = readAt(p, start - back, depth + 1);
  } else if (kind === REF_DELTA) {
    const baseOid = pack.subarray(at, at + 20);
    at += 20;
    const i = find(p, baseOid);
    base = i >= 0 ? readAt(p, offsetOf(p, i), depth + 1) : p.readBase(baseOid.toString("hex"));
    if (base === undefined) damaged(`delta base ${baseOid.toString("hex")} not found`);
  }
  const data = inflate(pack, at, size, damaged);
  if (base !== undefined) return { type: base.type, content: applyDelta(base.content, data, damaged) };
  const type = TYPES[kind];
  if (type === undefined) return damaged(`unknown object type ${kind} at ${start}`);
  const object: RawObject = { type, content: data };
  // Whole objects are kept as delta bases while small enough to matter: commits, tags and trees.
  if (type !== "blob") {
    if (p.bases.size > 4096) p.bases.clear();
    p.bases.set(start, object);
  }
  return object;
}

/** Inflate the zlib stream at `at`, which must give exactly `size` bytes. */
function inflate(pack: Buffer, at: number, size: number, damaged: (what: string) => never): Buffer {
  // The compressed stream is rarely much larger than its result; give zlib a bounded window first.
  const window = size + 64 + (size >> 3);
  let out: Buffer | undefined;
  try {
    out = inflateSync(pack.subarray(at, Math.min(pack.length, at + window)), { maxOutputLength: Math.max(size, 1) });
  } catch {
    try {
      out = inflateSync(pack.subarray(at), { maxOutputLength: Math.max(size, 1) });
    } catch {
      damaged(`object data at ${at} does not inflate`);
    }
  }
  if (out!.length !== size) damaged(`object at ${at} inflates to ${out!.length} bytes, not ${size}`);
  return out!;
}

/** Apply a git delta to `base`: copy and insert instructions after the two sizes. */
export function applyDelta(base: Buffer, delta: Buffer, damaged: (what: string) => never): Buffer {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let byte: number;
    let shift = 0;
    do {
      if (at >= delta.length) damaged("delta header cut short");
      byte = delta[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  if (varint() !== base.length) damaged("delta base size mismatch");
  const out = Buffer.allocUnsafe(varint());
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) offset += delta[at++]! * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (16 << bit)) size += delta[at++]! * 2 ** (8 * bit);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || written + size > out.length) damaged("delta copies out of range");
      base.copy(out, written, offset, offset + size);
      written += size;
    } else if (op !== 0) {
      if (at + op > delta.length || written + op > out.length) damaged("delta inserts out of range");
      delta.copy(out, written, at, at + op);
      at += op;
      written += op;
    } else damaged("delta opcode 0");
  }
  if (written !== out.length) damaged("delta result size mismatch");
  return out;
}
