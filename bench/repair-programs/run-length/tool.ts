/** Run-length encoding: "aaab" -> "a3b1". */
export function runLength(s: string): string {
  if (s.length === 0) return "";
  let out = "";
  let count = 1;
  for (let i = 1; i <= s.length; i++) {
    if (s[i] === s[i - 1]) {
      count++;
    } else {
      out += `${s[i - 1]}${count}`;
      count = 0;
    }
  }
  return out;
}
