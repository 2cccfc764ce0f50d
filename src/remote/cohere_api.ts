import { InvalidOptionError } from "../errors.js";
import { type RerankResult, validateRerankResults } from "../results.js";
import { AttemptFailure, parseRetryAfter, serverMessageOf } from "./http_retry.js";
import { postJson } from "./post_json.js";
import { maskUrlSecrets, withoutCredentials } from "./secrets.js";

// Cohere's rerank API as it goes over the wire: the v1 and v2 HTTP bodies, the same through a prebuilt cohere-ai
// client (Cohere, Azure, Bedrock, SageMaker), the SDK's errors translated for the retry loop, and the answer checked.
// This changes when Cohere's API or SDK does; CohereRerank (the compressor) only chooses and calls a sender.

type RerankMethod = (request: never, requestOptions?: never) => Promise<unknown>;

/**
 * The part of a cohere-ai client that CohereRerank calls: `CohereClientV2` (also `BedrockClientV2` and
 * `SagemakerClientV2`), or the v1 `CohereClient` that `@langchain/cohere` takes (its `v2.rerank` is used).
 */
export interface CohereRerankClient {
  rerank: RerankMethod;
  v2?: { rerank: RerankMethod };
}

/** One batch as CohereRerank asks for it; each sender writes it in its endpoint's dialect. */
export interface CohereRequest {
  model: string;
  query: string;
  documents: string[];
  topN: number;
  maxChunksPerDoc: number | undefined;
}

/** Sends one batch: the parsed body, or an AttemptFailure for the retry loop. */
export type CohereSender = (request: CohereRequest, signal: AbortSignal) => Promise<unknown>;

export interface CohereSenderSettings {
  version: "v1" | "v2";
  /** A prebuilt client, else the HTTP API at `baseUrl`. */
  client: CohereRerankClient | undefined;
  /** The base URL as given (no trailing slash). */
  baseUrl: string;
  apiKey: string | undefined;
  maxTokensPerDoc: number | undefined;
  priority: number | undefined;
  timeout: number;
}

export const DEFAULT_COHERE_BASE_URL = "https://api.cohere.com";
const CLIENT_NAME = "langchain-rerank";

type SdkRerank = (request: Record<string, unknown>, requestOptions: Record<string, unknown>) => Promise<unknown>;

/** The sender for one call: HTTP v1/v2, or a prebuilt client's v2 (or v1 `CohereClient`'s) rerank. */
export function cohereSender(owner: string, settings: CohereSenderSettings): CohereSender {
  const { version, client, maxTokensPerDoc, priority } = settings;
  const v2Extras = {
    ...(maxTokensPerDoc !== undefined ? { max_tokens_per_doc: maxTokensPerDoc } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
  if (client === undefined) {
    const url = `${settings.baseUrl}/${version}/rerank`;
    const headers = { authorization: `Bearer ${settings.apiKey ?? ""}`, "x-client-name": CLIENT_NAME };
    return (req, signal) => {
      const common = { model: req.model, query: req.query, documents: req.documents, top_n: req.topN };
      const body =
        version === "v2"
          ? { ...common, ...v2Extras }
          : { ...common, return_documents: false, ...(req.maxChunksPerDoc !== undefined ? { max_chunks_per_doc: req.maxChunksPerDoc } : {}) };
      return postJson(url, body, headers, signal);
    };
  }
  // v1 through a client: only the v1 `CohereClient` (which also has `v2`) has it.
  if (version === "v1" && typeof client.v2?.rerank !== "function") {
    throw new InvalidOptionError(
      `${owner}: \`maxChunksPerDoc\` needs Cohere's v1 endpoint, which the given client (a v2 client such as Bedrock's) does not have. ` +
        "Drop maxChunksPerDoc (v2 truncates long documents to maxTokensPerDoc instead) or pass a v1 CohereClient.",
    );
  }
  const rerank = (version === "v2" && typeof client.v2?.rerank === "function"
    ? client.v2.rerank.bind(client.v2)
    : client.rerank.bind(client)) as unknown as SdkRerank;
  // The SDK's camelCase names; v2's extra fields, or v1's chunking without returned documents.
  const extras = (req: CohereRequest) =>
    version === "v2"
      ? { ...(maxTokensPerDoc !== undefined ? { maxTokensPerDoc } : {}), ...(priority !== undefined ? { priority } : {}) }
      : { returnDocuments: false, ...(req.maxChunksPerDoc !== undefined ? { maxChunksPerDoc: req.maxChunksPerDoc } : {}) };
  // Our loop owns retries and the timeout; the SDK's are disabled (its timeout is a backstop just past ours).
  const requestOptions = (signal: AbortSignal) => ({ abortSignal: signal, maxRetries: 0, timeoutInSeconds: settings.timeout / 1000 + 1 });
  return (req, signal) =>
    sdkCall(
      () => rerank({ model: req.model, query: req.query, documents: req.documents, topN: req.topN, ...extras(req) }, requestOptions(signal)),
      signal,
    );
}

/**
 * Calls a cohere-ai client and turns its errors into attempt failures the retry loop understands. The SDK's own
 * errors are read by their public fields only (`statusCode`, `body`, `rawResponse`); anything else it throws
 * (e.g. a ParseError whose message quotes the response body, which may echo the key) becomes a plain
 * "invalid response", never its message and never as a cause.
 */
async function sdkCall(call: () => Promise<unknown>, signal: AbortSignal): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof Error)) throw new AttemptFailure("invalid-response", { reason: "the client threw a non-error value" });
    // Our abort or timeout: the retry loop reads which from the signals. An AbortError without one is the client's
    // own doing, and its message is the client's (it may hold anything): not passed on.
    if (signal.aborted) throw error;
    if (error.name === "AbortError") throw new AttemptFailure("network", { reason: "the client aborted the request itself" });
    if (error.constructor.name === "CohereTimeoutError") throw new AttemptFailure("timeout");
    const { statusCode, body, rawResponse } = error as Error & {
      statusCode?: unknown;
      body?: unknown;
      rawResponse?: { headers?: { get?(name: string): string | null } };
    };
    if (typeof statusCode === "number" && statusCode > 0 && statusCode !== 499) {
      const retryAfterMs = parseRetryAfter(rawResponse?.headers?.get?.("retry-after"));
      const serverMessage = serverMessageOf(body);
      throw new AttemptFailure("status", {
        status: statusCode,
        ...(serverMessage !== undefined ? { serverMessage } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (error.constructor.name === "CohereError") {
      // No status: the SDK saw no HTTP answer (or an abort, which the retry loop recognises by its signal).
      throw new AttemptFailure("network", { reason: "the client could not reach the server" });
    }
    throw new AttemptFailure("invalid-response", { reason: `the client could not read the response (${error.constructor.name})` });
  }
}

function kindOf(value: unknown): string {
  return value === null ? "null" : value === undefined ? "missing" : Array.isArray(value) ? "array" : typeof value;
}

/** Checks a Cohere-shaped body (snake_case over HTTP, camelCase from the SDK) and returns batch-local results. */
export function readCohereResults(body: unknown, count: number, wanted: number): RerankResult[] {
  const record = body as { ok?: unknown; error?: { reason?: unknown }; results?: unknown } | null | undefined;
  // The SDK hands a 200 whose body is not JSON over as `{ ok: false, error: { reason: "non-json" } }`.
  if (record?.ok === false && record.error?.reason === "non-json") {
    throw new AttemptFailure("invalid-response", { reason: "the body is not JSON" });
  }
  if (record === null || typeof record !== "object" || !Array.isArray(record.results)) {
    throw new AttemptFailure("invalid-response", { reason: "no `results` array in the body" });
  }
  const results = record.results.map((item: unknown, i: number) => {
    if (item === null || typeof item !== "object") {
      throw new AttemptFailure("invalid-response", { reason: `result ${i} is not an object` });
    }
    const { index, relevance_score, relevanceScore } = item as { index?: unknown; relevance_score?: unknown; relevanceScore?: unknown };
    const score = relevance_score ?? relevanceScore;
    // Types checked here so a message never quotes an arbitrary (possibly huge) value the server put there.
    if (typeof index !== "number") throw new AttemptFailure("invalid-response", { reason: `result ${i} has a ${kindOf(index)} index, not a number` });
    if (typeof score !== "number")
      throw new AttemptFailure("invalid-response", { reason: `result ${i} has a ${kindOf(score)} relevance_score, not a number` });
    // Cohere's relevance_score is 0–1; a compatible server sending logits would make `relevanceScore` (and any
    // threshold on it) mean something else.
    if (score < 0 || score > 1) {
      throw new AttemptFailure("invalid-response", {
        reason: `relevance_score ${score} of result ${i} is outside 0–1, so the server does not send Cohere's scores (logits?); for such a server use RerankServerCrossEncoder with scoreMode "raw"`,
      });
    }
    return { index, relevanceScore: score };
  });
  try {
    validateRerankResults(results, count, "the server");
  } catch (error) {
    throw new AttemptFailure("invalid-response", { reason: (error as Error).message.replace(/\.$/, "") });
  }
  if (results.length < wanted) {
    throw new AttemptFailure("invalid-response", { reason: `${results.length} results for top_n ${wanted} of ${count} documents sent` });
  }
  return results;
}

/** The base URL checked: public form without credentials, request form as given. Nothing secret is quoted. */
export function parseCohereBaseUrl(owner: string, value: unknown): { public: string; request: string } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^https?:\/\//i.test(value)) {
    // Masked as text: without `//` (`admin:s3cr3t@proxy`), a URL parser would read the user as a scheme.
    const shown = typeof value === "string" ? JSON.stringify(maskUrlSecrets(value).slice(0, 80)) : typeof value;
    throw new InvalidOptionError(`${owner}: \`baseUrl\` must be an http(s) URL such as "https://api.cohere.com", got ${shown}.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(`${owner}: \`baseUrl\` is not a valid URL.`);
  }
  if (url.username !== "" || url.password !== "") {
    // fetch refuses URLs with credentials, and Cohere authenticates with the bearer key: say so without echoing them.
    throw new InvalidOptionError(
      `${owner}: \`baseUrl\` contains credentials (user:password@${url.host}); fetch cannot send them that way. ` +
        "Pass the key as `apiKey`, or a prebuilt `client` with its own headers.",
    );
  }
  if (url.search !== "" || url.hash !== "" || value.includes("?") || value.includes("#")) {
    // The endpoint path is appended to the base URL, so a query or fragment would swallow it (`…?v=1/v2/rerank`).
    // The query is not echoed: it may hold a key (`?key=`, `?code=`).
    throw new InvalidOptionError(
      `${owner}: \`baseUrl\` must not have a query string or fragment (got one after ${JSON.stringify(`${url.origin}${url.pathname}`.slice(0, 80))}): ` +
        "requests go to `${baseUrl}/v2/rerank`. Pass the scheme, host and any path prefix only.",
    );
  }
  const publicUrl = withoutCredentials(url);
  // Keep the caller's spelling (no trailing slash added by URL) for the public field.
  return { public: value.endsWith("/") ? publicUrl : publicUrl.replace(/\/$/, ""), request: value };
}

/** The fields each endpoint version has: v1 chunks (`maxChunksPerDoc`), v2 truncates and queues. */
export function checkCohereVersionFields(
  owner: string,
  version: "v1" | "v2",
  maxChunksPerDoc: number | undefined,
  maxTokensPerDoc: number | undefined,
  priority: number | undefined,
): void {
  if (version === "v2" && maxChunksPerDoc !== undefined) {
    throw new InvalidOptionError(
      `${owner}: \`maxChunksPerDoc\` exists only on Cohere's v1 endpoint, but apiVersion is "v2". ` +
        'Use maxTokensPerDoc on v2 (it truncates instead of chunking), or set apiVersion "v1".',
    );
  }
  if (version === "v1" && (maxTokensPerDoc !== undefined || priority !== undefined)) {
    throw new InvalidOptionError(
      `${owner}: \`${maxTokensPerDoc !== undefined ? "maxTokensPerDoc" : "priority"}\` exists only on Cohere's v2 endpoint, but this call uses v1` +
        `${maxChunksPerDoc !== undefined ? " (because of maxChunksPerDoc)" : ""}. Drop one of them.`,
    );
  }
}
