const PAIRS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/** Whether every bracket in `s` is closed in the right order; other characters are ignored. */
export function balanced(s: string): boolean {
  const stack: string[] = [];
  for (const ch of s) {
    if (ch === "(" || ch === "[" || ch === "{") {
      stack.unshift(ch);
    } else if (ch in PAIRS) {
      if (stack.pop() !== PAIRS[ch]) return false;
    }
  }
  return stack.length === 0;
}
