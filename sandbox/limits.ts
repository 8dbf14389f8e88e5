/**
 * Sizes of what may cross the sandbox boundary. A candidate controls every byte of its outputs and
 * error messages; these bounds keep the host's work on them (decoding, judging, caching, printing)
 * small whatever the candidate does.
 */

/**
 * Longest output a call may return, in characters of its JSON encoding (see ./codec.ts). The
 * encoder stops as soon as it passes this size, before building the rest, and the case fails as a
 * `throw` saying so.
 */
export const MAX_OUTPUT_CHARS = 1_000_000;

/**
 * Longest error text (a thrown message, a failure reason) that leaves the sandbox, in characters.
 * Longer text is cut, ending in a note of its full length.
 */
export const MAX_MESSAGE_CHARS = 2_000;

/**
 * A thrown message longer than this is not even cut: taking a prefix of a string built by
 * concatenation copies the whole string first (a 256 MB one took 4 s and exhausted the heap), so
 * only its length is reported (8 million characters take about 10 ms to copy).
 */
export const MAX_CUTTABLE_CHARS = 8_000_000;
