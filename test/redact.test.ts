import { describe, expect, test } from "vitest";
import { redact } from "../kernel/redact.js";

describe("redact", () => {
  test("URL user-info and secret query parameters become ***; the rest of the text stays", () => {
    expect(redact("refusing http://user:password@example.com:11434/v1 now")).toBe("refusing http://***@example.com:11434/v1 now");
    expect(redact("https://token@host/x and ftp://a:b@c")).toBe("https://***@host/x and ftp://***@c");
    expect(redact("http://h/v1?api_key=sk-1&model=m&token=t#x")).toBe("http://h/v1?api_key=***&model=m&token=***#x");
    expect(redact("mail me at a@b.org, http://127.0.0.1:11434")).toBe("mail me at a@b.org, http://127.0.0.1:11434");
  });
});
