import { InvalidOptionError } from "../errors.js";

/**
 * A key that can travel in an Authorization header, trimmed; never echoed, since it is a secret. Checked at
 * construction: a control or non-Latin-1 character would otherwise make fetch throw on every request, which the
 * retry loop takes for a network error and retries.
 */
export function checkApiKey(owner: string, value: unknown, source = "`apiKey`"): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvalidOptionError(
      `${owner}: ${source} must be a non-empty string, got ${value === null ? "null" : typeof value === "string" ? "blank text" : `a ${typeof value}`}.`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/.test(value.trim())) {
    throw new InvalidOptionError(
      `${owner}: ${source} contains a control or non-Latin-1 character, which an HTTP header cannot carry; check that the key was copied whole and alone.`,
    );
  }
  return value.trim();
}
