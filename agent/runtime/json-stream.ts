/**
 * Streams one string field out of JSON that is still arriving. The model answers inside
 * `{"action":"answer","text":"..."}`; to show the answer as it is generated, the decoded characters
 * of the root object's `text` value are handed on chunk by chunk, before the JSON is complete.
 */

/** Feed raw JSON chunks; get back the decoded characters of the watched field that they completed. */
export interface FieldStream {
  push(chunk: string): string;
  /** True once the watched field's value has started. */
  readonly started: boolean;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", '"': '"', "\\": "\\", "/": "/" };

/** Where the scan stands between chunks. */
interface ScanState {
  stack: ("{" | "[")[];
  inString: boolean;
  isKey: boolean;
  emitting: boolean;
  expectKey: boolean;
  key: string;
  lastKey: string;
  escape: string | null; // null: not in an escape; "" after "\"; "uXXXX" while reading hex
  highSurrogate: string;
  started: boolean;
}

function decoded(s: ScanState, ch: string): string {
  // A lone high surrogate waits for its pair, so no chunk ever ends in half a character.
  const code = ch.charCodeAt(0);
  if (ch.length === 1 && code >= 0xd800 && code <= 0xdbff) {
    s.highSurrogate = ch;
    return "";
  }
  const out = s.highSurrogate + ch;
  s.highSurrogate = "";
  return out;
}

/** The character an escape sequence stands for once `ch` completes it, else null. */
function escaped(s: ScanState, escape: string, ch: string): string | null {
  if (escape === "") {
    if (ch === "u") {
      s.escape = "u";
      return null;
    }
    s.escape = null;
    return SIMPLE_ESCAPES[ch] ?? ch;
  }
  const hex = escape + ch;
  if (hex.length !== 5) {
    s.escape = hex;
    return null;
  }
  s.escape = null;
  return String.fromCharCode(Number.parseInt(hex.slice(1), 16));
}

/** One character inside a string; returns what it adds to the watched value's output. */
function stringChar(s: ScanState, ch: string): string {
  let char: string | null = null;
  if (s.escape !== null) char = escaped(s, s.escape, ch);
  else if (ch === "\\") s.escape = "";
  else if (ch === '"') {
    s.inString = false;
    if (s.isKey && s.stack.length === 1) s.lastKey = s.key;
    s.emitting = false;
    return "";
  } else char = ch;
  if (char === null) return "";
  if (s.isKey) s.key += char;
  else if (s.emitting) return decoded(s, char);
  return "";
}

/** One character outside strings: nesting, and whether the next string is a key. */
function structuralChar(s: ScanState, ch: string, field: string): void {
  const top = s.stack.at(-1);
  switch (ch) {
    case '"':
      s.inString = true;
      s.isKey = top === "{" && s.expectKey;
      s.key = "";
      s.emitting = !s.isKey && s.stack.length === 1 && top === "{" && s.lastKey === field;
      if (s.emitting) s.started = true;
      break;
    case "{":
    case "[":
      s.stack.push(ch);
      s.expectKey = ch === "{";
      break;
    case "}":
    case "]":
      s.stack.pop();
      s.expectKey = false;
      break;
    case ",":
      s.expectKey = top === "{";
      break;
    case ":":
      s.expectKey = false;
      break;
  }
}

/** Watches the root object's string property `field` (default "text"). */
export function fieldStream(field = "text"): FieldStream {
  const s: ScanState = { stack: [], inString: false, isKey: false, emitting: false, expectKey: false, key: "", lastKey: "", escape: null, highSurrogate: "", started: false };
  return {
    get started() {
      return s.started;
    },
    push(chunk: string): string {
      let out = "";
      for (const ch of chunk) {
        if (s.inString) out += stringChar(s, ch);
        else structuralChar(s, ch, field);
      }
      return out;
    },
  };
}
