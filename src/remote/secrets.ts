// The one home for keeping secrets out of what the package shows: which query parameters are credentials, how a URL
// is shown (`***` for userinfo and secret values), and how known secrets are redacted from free text (`[redacted]`)
// in every encoding a server may echo them in. CohereRerank, RerankServerCrossEncoder, the retry loop and
// rerank-eval all use this module, so a parameter is secret for all of them or for none.

/** What a URL shows in place of `user:password` and of a secret query value. */
export const URL_MASK = "***";
/** What free text (an error, a server's message) shows in place of a known secret. */
export const REDACTED = "[redacted]";

/**
 * A query (or fragment) parameter is a credential when its name, percent-decoded and lower-cased, contains one of
 * these. They cover `api_key`/`api-key`/`apikey`/`key`/`subscription-key` (Azure APIM), `token`/`access_token`/
 * `X-Amz-Security-Token`, `secret`/`client_secret`, `password`/`passwd`, `auth`/`authorization`, `sig` (Azure SAS)/
 * `X-Amz-Signature`/`X-Goog-Signature`/`Signature`, `X-Amz-Credential`/`X-Goog-Credential`, and JWTs.
 */
export const SECRET_PARAM_FRAGMENTS: readonly string[] = ["key", "token", "secret", "passw", "auth", "sig", "credential", "jwt"];
/**
 * Names that are credentials only as a whole word: `code` (the Azure Functions key, `?code=`), `pwd`, `pass`.
 * (As fragments they would mask `encode`, `bypass`….)
 */
export const SECRET_PARAM_NAMES: readonly string[] = ["code", "pwd", "pass"];

/** Whether a query parameter named `name` (as written in the URL, encoded or not) holds a credential. */
export function isSecretParam(name: string): boolean {
  const plain = formDecode(name).trim().toLowerCase();
  return SECRET_PARAM_NAMES.includes(plain) || SECRET_PARAM_FRAGMENTS.some((fragment) => plain.includes(fragment));
}

/** `url` as shown in fields, `toJSON`, `cacheKey` and messages: userinfo and secret parameter values (query and fragment) masked. */
export function maskedUrl(url: URL): string {
  const shown = new URL(url.href);
  if (shown.username !== "") shown.username = URL_MASK;
  if (shown.password !== "") shown.password = URL_MASK;
  // Rewritten as text, not through URLSearchParams, so that the other parameters keep their spelling.
  shown.search = maskParams(shown.search);
  shown.hash = maskParams(shown.hash);
  return shown.href.replaceAll("%2A%2A%2A", URL_MASK);
}

/**
 * Every URL-ish thing in `text` (a command line, a string that did not parse as a URL) with its userinfo and secret
 * parameter values masked. It does not rely on `//`: `admin:s3cr3t@proxy:8443/x` shows as `***@proxy:8443/x`.
 * After `//`, everything up to the last `@` before the path is userinfo (a malformed one may hold spaces); without
 * `//`, a word holding a `:` before an `@` is (so `ndcg@10` and `org/model@main` stay as they are).
 */
export function maskUrlSecrets(text: string): string {
  return text
    .replace(SLASHED_USERINFO, `$1${URL_MASK}@`)
    .replace(BARE_USERINFO, (_all, lead: string, info: string) => `${lead}${/^--?[\w-]+=/.exec(info)?.[0] ?? ""}${URL_MASK}@`)
    .replace(PARAM, (all, separator: string, name: string, value: string) =>
      value !== "" && isSecretParam(name) ? `${separator}${name}=${URL_MASK}` : all,
    );
}
const SLASHED_USERINFO = /(\/\/)[^/?#"'<>\n]*@/g;
const BARE_USERINFO = /(^|[\s"'<>(,;])([^\s/?#"'<>]*:[^\s/?#"'<>]*)@/g;
const PARAM = /([?&#;])([^=&#;\s"'<>?]+)=([^&#;\s"'<>]*)/g;

function maskParams(part: string): string {
  return part.replace(PARAM, (all, separator: string, name: string, value: string) =>
    value !== "" && isSecretParam(name) ? `${separator}${name}=${URL_MASK}` : all,
  );
}

/**
 * The secrets a URL carries, as written in it: user, password and secret parameter values (query and fragment).
 * `redact` expands each to its other encodings.
 */
export function urlSecrets(url: URL): string[] {
  const found = [url.username, url.password];
  for (const part of [url.search, url.hash]) {
    for (const match of part.matchAll(PARAM)) if (isSecretParam(match[2]!)) found.push(match[3]!);
  }
  return found.filter((secret) => secret !== "");
}

/**
 * `text` with every secret replaced by `[redacted]`, in each form a server may echo it. Each character of a secret
 * is matched in every escaping of it, mixed freely: as is; JSON's `\uXXXX` (either hex case, after one or more
 * backslashes, as JSON inside JSON has) and its short escapes (`\/`, PHP's `json_encode` default, `\"`, `\\`);
 * percent-encoded UTF-8 (either hex case, once, twice or three times); `+` for a space. The secret is looked for as
 * given, percent-decoded and form-decoded. Then a base64 or base64url token (also with escaped `/` or `=`) whose
 * decoded text holds a secret is redacted whole: a Basic credential is base64 of `user:password`.
 * Longest first, so a short secret inside a longer one cannot leave the rest of it. A secret under 4 characters (a
 * URL user or password such as `bob`) is replaced where it stands alone, not inside longer words or numbers.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  const patterns = secretPatterns(secrets);
  if (patterns.length === 0) return text;
  let out = text;
  for (const pattern of patterns) out = out.replace(pattern, REDACTED);
  return out.replace(BASE64_TOKEN, (token) => (holdsSecret(decodeBase64(token), patterns) ? REDACTED : token));
}

/** One global pattern per secret form (as given, percent-decoded, form-decoded), longest first. */
function secretPatterns(secrets: readonly (string | undefined)[]): RegExp[] {
  const bases = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret === "") continue;
    for (const base of [secret, percentDecode(secret), formDecode(secret)]) if (base !== "") bases.add(base);
  }
  return [...bases]
    .sort((a, b) => [...b].length - [...a].length)
    .map((base) => {
      const body = [...base].map(characterPattern).join("");
      return new RegExp([...base].length >= 4 ? body : `(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, "gu");
    });
}

const JSON_SHORT_ESCAPES: Record<string, string> = { "/": "/", '"': '"', "\\": "\\", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t" };
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** A hex number of `width` digits matching either case. */
const hex = (value: number, width: number) =>
  value
    .toString(16)
    .toUpperCase()
    .padStart(width, "0")
    .replace(/[A-F]/g, (digit) => `[${digit}${digit.toLowerCase()}]`);
const UTF8 = new TextEncoder();

/** Every escaping of one character: as is, JSON (`\uXXXX`, `\/`…), percent-encoded (up to three times), `+` for space. */
function characterPattern(char: string): string {
  const json = "\\\\{1,8}"; // one or more backslashes (bounded, so a run of them cannot make the match quadratic)
  const units = Array.from({ length: char.length }, (_, i) => char.charCodeAt(i));
  const alternatives = [escapeRegExp(char), units.map((unit) => `${json}u${hex(unit, 4)}`).join("")];
  const short = JSON_SHORT_ESCAPES[char];
  if (short !== undefined) alternatives.push(`${json}${escapeRegExp(short)}`);
  alternatives.push([...UTF8.encode(char)].map((byte) => `%(?:25){0,2}${hex(byte, 2)}`).join(""));
  if (char === " ") alternatives.push("\\+");
  return `(?:${alternatives.join("|")})`;
}

// A run of base64 or base64url characters, `/` possibly JSON-escaped or percent-encoded, with its padding.
const BASE64_TOKEN = /(?:[A-Za-z0-9+_-]|\\{0,8}\/|%2[BbFf]){4,}(?:=|\\{1,8}u003[Dd]|%3[Dd]){0,2}/g;

/** The text a base64 or base64url token decodes to (UTF-8), or "" when it is not base64. */
function decodeBase64(token: string): string {
  const plain = token
    .replace(/\\{1,8}u003[Dd]|%3[Dd]|=/g, "")
    .replace(/\\{0,8}\/|%2[Ff]|_/g, "/")
    .replace(/%2[Bb]|-/g, "+");
  if (plain.length % 4 === 1) return "";
  try {
    const binary = atob(plain.padEnd(plain.length + ((4 - (plain.length % 4)) % 4), "="));
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return "";
  }
}

function holdsSecret(text: string, patterns: readonly RegExp[]): boolean {
  if (text === "") return false;
  return patterns.some((pattern) => {
    pattern.lastIndex = 0;
    return pattern.test(text);
  });
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function formDecode(text: string): string {
  return percentDecode(text.replaceAll("+", " "));
}

/** `url` without `user:password@`, for requests (fetch refuses a URL that holds them). */
export function withoutCredentials(url: URL): string {
  if (url.username === "" && url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}
