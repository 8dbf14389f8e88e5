/** The words of `s` (separated by single spaces) in reverse order. */
export function reverseWords(s: string): string {
  return s.split(" ").reverse().join("");
}
