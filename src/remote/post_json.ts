import { AttemptFailure, fetchErrorReason, isPermanentFetchError, parseRetryAfter, serverMessageOf } from "./http_retry.js";

/**
 * One JSON POST for the retry loop: the parsed body of a 2xx answer, or an AttemptFailure saying what went wrong
 * (network, HTTP status with the server's message and Retry-After, or a body that is not JSON). Nothing here logs,
 * and nothing the server sends is put in a message except through the retry loop, which redacts secrets.
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<unknown> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(body),
      signal,
    });
    text = await readCapped(response, MAX_RESPONSE_BYTES);
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof AttemptFailure) throw error;
    throw new AttemptFailure("network", { reason: fetchErrorReason(error), permanent: isPermanentFetchError(error) });
  }
  let json: unknown;
  let isJson = true;
  try {
    json = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (!response.ok) {
    const serverMessage = serverMessageOf(isJson ? json : text);
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    const redirectedTo = crossOriginRedirect(url, response);
    throw new AttemptFailure("status", {
      status: response.status,
      ...(serverMessage !== undefined ? { serverMessage } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(redirectedTo !== undefined ? { redirectedTo } : {}),
    });
  }
  if (!isJson) throw new AttemptFailure("invalid-response", { reason: "the body is not JSON" });
  return json;
}

/**
 * Largest response body read. A rerank answer is about 60 bytes per document (some 60 kB for Cohere's 1,000 per
 * request); a server streaming without end would otherwise be buffered whole, hundreds of MB, before failing.
 */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** The body as text, or an invalid-response failure as soon as it passes `limit` bytes (the rest is not read). */
async function readCapped(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(limit);
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  // TextDecoder rather than Buffer: this module is also reached from the browser-safe root entry.
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function tooLarge(limit: number): AttemptFailure {
  return new AttemptFailure("invalid-response", { reason: `the body is larger than ${limit / 1024 / 1024} MiB, far more than a rerank answer` });
}

/**
 * The origin a redirect took the request to, when it is not the one asked for: fetch then drops the
 * Authorization header (as the Fetch standard requires), so the server there answers 401 to a valid key.
 * The origin only: a redirect's path or query may carry anything.
 */
function crossOriginRedirect(requested: string, response: Response): string | undefined {
  if (!response.redirected || response.url === "") return undefined;
  try {
    const origin = new URL(response.url).origin;
    return origin === new URL(requested).origin ? undefined : origin;
  } catch {
    return undefined;
  }
}
