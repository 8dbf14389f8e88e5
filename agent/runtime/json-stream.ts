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

/** Watches the root object's string property `field` (default "text"). */
export function fieldStream(field = "text"): FieldStream {
  const stack: ("{" | "[")[] = [];
  let inString = false;
  let isKey = false;
  let emitting = false;
  let expectKey = false;
  let key = "";
  let lastKey = "";
  let escape: string | null = null; // null: not in an escape; "" after "\"; "uXXXX" while reading hex
  let highSurrogate = "";
  let started = false;

  function decoded(ch: string): string {
    // A lone high surrogate waits for its pair, so no chunk ever ends in half a character.
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0xd800 && code <= 0xdbff) {
      highSurrogate = ch;
      return "";
    }
    const out = highSurrogate + ch;
    highSurrogate = "";
    return out;
  }

  return {
    get started() {
      return started;
    },
    push(chunk: string): string {
      let out = "";
      for (const ch of chunk) {
        if (inString) {
          let char: string | null = null;
          if (escape !== null) {
            if (escape === "") {
              if (ch === "u") escape = "u";
              else {
                char = SIMPLE_ESCAPES[ch] ?? ch;
                escape = null;
              }
            } else {
              escape += ch;
              if (escape.length === 5) {
                char = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
                escape = null;
              }
            }
          } else if (ch === "\\") escape = "";
          else if (ch === '"') {
            inString = false;
            if (isKey && stack.length === 1) lastKey = key;
            emitting = false;
            continue;
          } else char = ch;
          if (char === null) continue;
          if (isKey) key += char;
          else if (emitting) out += decoded(char);
          continue;
        }
        const top = stack.at(-1);
        switch (ch) {
          case '"':
            inString = true;
            isKey = top === "{" && expectKey;
            key = "";
            emitting = !isKey && stack.length === 1 && top === "{" && lastKey === field;
            if (emitting) started = true;
            break;
          case "{":
          case "[":
            stack.push(ch);
            expectKey = ch === "{";
            break;
          case "}":
          case "]":
            stack.pop();
            expectKey = false;
            break;
          case ",":
            expectKey = top === "{";
            break;
          case ":":
            expectKey = false;
            break;
        }
      }
      return out;
    },
  };
}
