/** The integer at the start of `s`: optional spaces, an optional sign, digits; 0 when there are none. */
export function parseInteger(s: string): number {
  let i = 0;
  while (i < s.length && s[i] === " ") i++;
  let sign = 1;
  if (s[i] === "-" || s[i] === "+") {
    if (s[i] === "-") sign = -1;
  }
  let value = 0;
  while (i < s.length && s[i]! >= "0" && s[i]! <= "9") {
    value = value * 10 + (s.charCodeAt(i) - 48);
    i++;
  }
  return sign * value;
}
