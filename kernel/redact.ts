/**
 * Credentials never reach a message or a log: a URL's user-info (`https://user:password@host`) and
 * secret-looking query parameters (`?api_key=...`, `token`, `password`, `secret`) are replaced by
 * `***`. Every line evolve prints about a URL goes through here (bin/output.ts applies it to every
 * error line), so a pasted URL with a password in it is not echoed back into a terminal or a CI log.
 */

/** `scheme://` followed by user-info up to the `@` before the host. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
/** Query parameters whose value is a secret. */
const SECRET_PARAM = /([?&](?:api[_-]?key|apikey|access[_-]?token|token|auth|password|passwd|secret|key)=)[^&#\s]+/gi;

/** `text` with URL credentials replaced by `***`. */
export function redact(text: string): string {
  return text.replace(USERINFO, "$1***@").replace(SECRET_PARAM, "$1***");
}
