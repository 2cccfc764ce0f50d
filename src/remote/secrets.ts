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
 * `text` with every secret replaced by `[redacted]`, in each form a server may echo it: as given, percent-decoded,
 * form-decoded (`+` for space), percent-encoded, form-encoded, double-encoded, with upper- or lower-case hex.
 * Longest first, so a short secret inside a longer one cannot leave the rest of it. A form under 4 characters (a
 * URL user or password such as `bob`) is replaced where it stands alone, not inside longer words or numbers.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) if (secret !== undefined && secret !== "") for (const form of secretForms(secret)) forms.add(form);
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (form.length >= 4) out = out.split(form).join(REDACTED);
    else out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "gu"), REDACTED);
  }
  return out;
}

/** The encodings of `secret` that `redact` looks for. */
export function secretForms(secret: string): string[] {
  const bases = new Set([secret, percentDecode(secret), formDecode(secret)]);
  const forms = new Set<string>();
  for (const base of bases) {
    if (base === "") continue;
    const encoded = encodeURIComponent(base);
    const form = new URLSearchParams([["", base]]).toString().slice(1);
    for (const variant of [base, encoded, form, encodeURIComponent(encoded), encodeURIComponent(form), encodeURI(base)]) {
      forms.add(variant);
      forms.add(variant.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    }
  }
  return [...forms];
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
