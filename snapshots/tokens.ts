/**
 * Token estimates for sizing a snapshot. Tokenizers differ per model; four characters per token is
 * the usual figure for English and code with BPE vocabularies. Callers with a real tokenizer pass
 * their own estimator.
 */

/** Estimated tokens of `text`. Must be monotone in the text (more text, no fewer tokens). */
export type TokenEstimator = (text: string) => number;

/** ceil(chars / 4). */
export const charsOver4: TokenEstimator = (text) => Math.ceil(text.length / 4);
