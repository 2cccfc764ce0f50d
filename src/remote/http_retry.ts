import { redact } from "./secrets.js";
import { InvalidOptionError, keepErrorNames, RerankError } from "../errors.js";
import { abortable } from "../cancellation.js";
import { checkNonNegativeInteger, checkPositiveInteger } from "../options.js";

// One retry loop for every remote reranker (Cohere, a prebuilt cohere-ai client, rerank servers), so all report
// failures the same way: HTTP status, the server's own message, how many attempts were made, never the key.
// Why not @langchain/core's AsyncCaller (p-retry)? It would lose what this loop is measured and tested on: it does
// not honour Retry-After nor cap a server's wait (maxBackoffMs), a wait in progress does not end on abort, and the
// final error does not say how many attempts were made. Kept here on purpose.

/** What went wrong on the last attempt of a remote rerank call. */
export type RemoteFailureKind = "status" | "timeout" | "network" | "invalid-response";

/** A remote reranker (Cohere or a rerank server) failed; `retried` and `attempts` say how hard we tried. */
export class RemoteRerankError extends RerankError {
  override name = "RemoteRerankError";
  /** The service as named in messages, e.g. "Cohere rerank (POST http://127.0.0.1:8080/v2/rerank)". */
  readonly service: string;
  readonly kind: RemoteFailureKind;
  /** HTTP status of the last attempt, when the server answered. */
  readonly status: number | undefined;
  /** The server's own error message (secrets redacted), when it sent one. */
  readonly serverMessage: string | undefined;
  /** Requests sent for this call, including the first. */
  readonly attempts: number;
  readonly retried: boolean;

  /** The same as `status`, under the name cohere-ai's `CohereError` uses (for code migrating from it). */
  get statusCode(): number | undefined {
    return this.status;
  }

  constructor(
    message: string,
    fields: { service: string; kind: RemoteFailureKind; status?: number; serverMessage?: string; attempts: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.service = fields.service;
    this.kind = fields.kind;
    this.status = fields.status;
    this.serverMessage = fields.serverMessage;
    this.attempts = fields.attempts;
    this.retried = fields.attempts > 1;
  }
}
keepErrorNames({ RemoteRerankError });

/**
 * Thrown by an attempt to describe its failure; the loop decides whether to retry and turns the last one into a
 * RemoteRerankError. `cause` must not carry secrets (it is kept on the final error).
 */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: RemoteFailureKind,
    readonly detail: {
      status?: number;
      serverMessage?: string;
      retryAfterMs?: number;
      reason?: string;
      cause?: unknown;
      /** A network failure that another attempt cannot fix (a blocked port, an unknown host, a bad certificate). */
      permanent?: boolean;
      /** The other origin a redirect took the request to (fetch sent no Authorization header there). */
      redirectedTo?: string;
    } = {},
  ) {
    super(detail.reason ?? detail.serverMessage ?? kind);
  }
}

export interface RetryPolicy {
  /** Retries after the first attempt (so at most maxRetries + 1 requests). */
  maxRetries: number;
  /** Per attempt, in milliseconds. */
  timeout: number;
  /** First backoff delay; doubles each retry, with jitter. */
  backoffBaseMs: number;
  /** Cap on any wait, the backoff's or a server's `Retry-After`; a longer `Retry-After` ends the retries. */
  maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 2, timeout: 60_000, backoffBaseMs: 1_000, maxBackoffMs: 60_000 };

/** Timeout, retry and backoff options as both remote rerankers take them, checked, over the defaults. */
export function retryPolicyFrom(
  owner: string,
  fields: { timeout?: number; maxRetries?: number; backoffBaseMs?: number; maxBackoffMs?: number },
): RetryPolicy {
  return {
    timeout: checkDelay(owner, "timeout", checkPositiveInteger(owner, "timeout", fields.timeout)) ?? DEFAULT_RETRY_POLICY.timeout,
    maxRetries: checkNonNegativeInteger(owner, "maxRetries", fields.maxRetries) ?? DEFAULT_RETRY_POLICY.maxRetries,
    backoffBaseMs:
      checkDelay(owner, "backoffBaseMs", checkNonNegativeInteger(owner, "backoffBaseMs", fields.backoffBaseMs)) ?? DEFAULT_RETRY_POLICY.backoffBaseMs,
    maxBackoffMs:
      checkDelay(owner, "maxBackoffMs", checkNonNegativeInteger(owner, "maxBackoffMs", fields.maxBackoffMs)) ?? DEFAULT_RETRY_POLICY.maxBackoffMs,
  };
}

/** The longest delay setTimeout honours; a longer one fires after 1 ms (with a warning on stderr). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function checkDelay(owner: string, name: string, value: number | undefined): number | undefined {
  if (value !== undefined && value > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      `${owner}: \`${name}\` must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node can set), got ${value}.`,
    );
  }
  return value;
}

/** Longest server message or failure reason kept in an error, cut only after secrets are redacted (a cut key is still a leak). */
const MAX_MESSAGE_CHARS = 500;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** 408, 429 and 5xx are worth another try (as in Cohere's SDK); 4xx otherwise means the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Pulls a human message out of the error bodies servers send: Cohere/vLLM `{message}`, TEI `{error}`, Jina `{detail}`.
 * Not cut to length here: the final error redacts secrets first, then cuts.
 */
export function serverMessageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() === "" ? undefined : body;
  if (body === null || typeof body !== "object") return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ["message", "error", "detail"]) {
    const value = record[key];
    if (typeof value === "string") return value;
    if (value !== null && typeof value === "object") {
      const nested = serverMessageOf(value);
      if (nested !== undefined) return nested;
      return JSON.stringify(value);
    }
  }
  return undefined;
}

// fetch's causes that no retry can fix: the URL itself is wrong (fetch refuses the port or scheme, DNS has no such
// host) or the server's certificate is not trusted. EAI_AGAIN (DNS temporarily down), resets and refusals stay retryable.
const PERMANENT_CAUSE_MESSAGES = new Set(["bad port", "unknown scheme", "invalid url"]);
const PERMANENT_CAUSE_CODES =
  /^(ENOTFOUND|ERR_INVALID_URL|ERR_TLS_CERT_ALTNAME_INVALID|CERT_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_\w+)$/;

/** True when fetch failed for a reason another attempt cannot change. */
export function isPermanentFetchError(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(cause instanceof Error)) return false;
  const code = (cause as { code?: unknown }).code;
  return PERMANENT_CAUSE_MESSAGES.has(cause.message.toLowerCase()) || (typeof code === "string" && PERMANENT_CAUSE_CODES.test(code));
}

/** "fetch failed (ECONNRESET: other side closed)": fetch hides the low-level cause behind a generic message. */
export function fetchErrorReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (!(cause instanceof Error)) return error.message;
  const code = (cause as { code?: unknown }).code;
  return `${error.message} (${typeof code === "string" ? `${code}: ` : ""}${cause.message})`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const STATUS_HINTS: Record<number, string> = {
  400: "The server rejected the request as invalid.",
  401: "Check the API key (`apiKey`, or COHERE_API_KEY / CO_API_KEY for Cohere).",
  403: "The key is not allowed to use this model or endpoint.",
  404: "Check the model name and the base URL / url.",
  422: "The server rejected a field of the request: check that the dialect or API version matches the server.",
  429: "Rate limited: lower maxConcurrency, raise maxRetries, or ask for a higher limit.",
};

export interface RetryCallOptions {
  /** Names the service in messages; must not contain secrets. */
  service: string;
  policy: RetryPolicy;
  /** The caller's signal: aborting stops the attempt in flight and any wait, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /** Redacted from every message. */
  secrets: readonly (string | undefined)[];
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the retries run out. Each attempt gets a signal that fires
 * on the caller's abort or after `timeout`. Retried: 408, 429, 5xx, timeouts and network errors (a rerank is
 * a read, so repeating it is safe). Waits: the server's `Retry-After` if present, else base·2ⁿ with jitter.
 */
export async function withRetries<T>(attempt: (signal: AbortSignal) => Promise<T>, options: RetryCallOptions): Promise<T> {
  const { service, policy, signal, secrets } = options;
  for (let attemptIndex = 0; ; attemptIndex++) {
    signal?.throwIfAborted();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException("timeout", "TimeoutError")), policy.timeout);
    const attemptSignal = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    let failure: AttemptFailure;
    try {
      // Raced with the signal: an attempt that ignores it (a hung prebuilt client) still ends on timeout or abort.
      return await abortable(attempt(attemptSignal), attemptSignal);
    } catch (error) {
      signal?.throwIfAborted();
      if (timeout.signal.aborted) failure = new AttemptFailure("timeout");
      else if (error instanceof AttemptFailure) failure = error;
      else throw error;
    } finally {
      clearTimeout(timer);
    }

    const attempts = attemptIndex + 1;
    const { status, retryAfterMs } = failure.detail;
    const retryable =
      failure.kind === "timeout" ||
      (failure.kind === "network" && failure.detail.permanent !== true) ||
      (failure.kind === "status" && isRetryableStatus(status ?? 0));
    const tooLong = retryAfterMs !== undefined && retryAfterMs > policy.maxBackoffMs;
    if (retryable && attemptIndex < policy.maxRetries && !tooLong) {
      const backoff = Math.min(policy.maxBackoffMs, policy.backoffBaseMs * 2 ** attemptIndex) * (0.5 + Math.random() / 2);
      await sleep(retryAfterMs ?? backoff, signal);
      continue;
    }
    throw finalError(failure, { service, policy, attempts, secrets, retryable, tooLong });
  }
}

function finalError(
  failure: AttemptFailure,
  context: { service: string; policy: RetryPolicy; attempts: number; secrets: RetryCallOptions["secrets"]; retryable: boolean; tooLong: boolean },
): RemoteRerankError {
  const { service, policy, attempts, secrets } = context;
  const { status, retryAfterMs, cause } = failure.detail;
  const serverMessage =
    failure.detail.serverMessage === undefined ? undefined : truncate(redact(failure.detail.serverMessage, secrets), MAX_MESSAGE_CHARS);
  const reason = (fallback: string) => truncate(redact(failure.detail.reason ?? fallback, secrets), MAX_MESSAGE_CHARS);
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  let what: string;
  switch (failure.kind) {
    case "timeout":
      what = `timed out: no response within the ${policy.timeout} ms \`timeout\` (${tries}).`;
      break;
    case "network":
      what = `could not reach the server (${tries}): ${reason("network error")}.`;
      break;
    case "invalid-response":
      what = `returned an invalid response: ${reason("unreadable body")}.`;
      break;
    default:
      what = `failed with HTTP ${status} (${tries})${serverMessage ? `: ${JSON.stringify(serverMessage)}` : ""}.`;
  }
  const hints: string[] = [];
  const { redirectedTo } = failure.detail;
  if (redirectedTo !== undefined && (status === 401 || status === 403)) {
    hints.push(
      `The request was redirected to ${redirectedTo}, and fetch does not send the Authorization header to another origin: use the URL it redirects to as the base URL / url.`,
    );
  } else if (status !== undefined && STATUS_HINTS[status]) hints.push(STATUS_HINTS[status]);
  if (redirectedTo !== undefined && status !== 401 && status !== 403) hints.push(`(The request was redirected to ${redirectedTo}.)`);
  if (context.tooLong && retryAfterMs !== undefined) {
    hints.push(
      `The server asked to wait ${Math.ceil(retryAfterMs / 1000)} s (Retry-After), more than maxBackoffMs (${policy.maxBackoffMs} ms), so it was not retried.`,
    );
  } else if (context.retryable && attempts > policy.maxRetries) {
    hints.push(`Gave up after maxRetries (${policy.maxRetries}).`);
  } else if (!context.retryable && failure.kind === "status") {
    hints.push(`${attempts === 1 ? "Not retried" : "Stopped retrying"}: HTTP ${status} will not change on retry.`);
  } else if (!context.retryable && failure.kind === "network") {
    hints.push("Not retried: this will not change on retry. Check the URL (host, port and scheme) and the server's certificate.");
  }
  const message = redact(`${service} ${what}${hints.length ? ` ${hints.join(" ")}` : ""}`, secrets);
  return new RemoteRerankError(
    message,
    { service, kind: failure.kind, ...(status !== undefined ? { status } : {}), ...(serverMessage !== undefined ? { serverMessage } : {}), attempts },
    cause !== undefined ? { cause } : undefined,
  );
}
