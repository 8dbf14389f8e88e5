/** Number of words in `s`: maximal runs of characters other than spaces. */
export function countWords(s: string): number {
  let count = 0;
  let inWord = false;
  for (const ch of s) {
    if (ch === " ") {
      inWord = false;
    } else if (inWord) {
      count++;
      inWord = true;
    }
  }
  return count;
}
