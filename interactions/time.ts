/**
 * Times on the command line: a duration back from now (`30m`, `24h`, `7d`, `2w`) or a date
 * (`2026-11-30`, `2026-11-30T12:00:00Z`; a date without a time is midnight UTC). Pure.
 */
import { EvolveError } from "../kernel/errors.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Milliseconds of a duration like `90s`, `30m`, `24h`, `7d`, `2w`; null when `text` is not one. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** Epoch ms of an ISO date or date-time; null when `text` is not one (or not a real day). */
export function parseDate(text: string): number | null {
  const t = text.trim();
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    // Date.UTC rolls 2026-02-30 over into March: a day that does not exist is not a date.
    return new Date(ms).toISOString().slice(0, 10) === t ? ms : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) return null;
  const ms = Date.parse(t.replace(" ", "T"));
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The point in time a `--since` or `--before` value names: now minus a duration, or a date.
 * Anything else is refused with `usage`, naming the flag.
 */
export function parseTimePoint(flag: string, text: string, now = Date.now()): number {
  const d = parseDuration(text);
  if (d !== null) return now - d;
  const at = parseDate(text);
  if (at !== null) return at;
  throw new EvolveError("usage", `${flag}: "${text}" is neither a duration (30m, 24h, 7d, 2w) nor a date (2026-11-30 or 2026-11-30T12:00:00Z)`, { flag, value: text });
}
