import { AttemptFailure, fetchErrorReason, parseRetryAfter, serverMessageOf } from "./http_retry.js";

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
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw error;
    throw new AttemptFailure("network", { reason: fetchErrorReason(error) });
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
    throw new AttemptFailure("status", {
      status: response.status,
      ...(serverMessage !== undefined ? { serverMessage } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (!isJson) throw new AttemptFailure("invalid-response", { reason: "the body is not JSON" });
  return json;
}

/** `url` without `user:password@`, for messages and public fields. */
export function withoutCredentials(url: URL): string {
  if (url.username === "" && url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}
