import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { getEnvironmentVariable } from "@langchain/core/utils/env";
import { InvalidOptionError } from "../errors.js";
import { anySignal } from "../cancellation.js";
import { checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkSignal, checkString } from "../options.js";
import { batchRanges, mapWithConcurrency } from "../remote/batching.js";
import { AttemptFailure, type RetryPolicy, parseRetryAfter, retryPolicyFrom, serverMessageOf, withRetries } from "../remote/http_retry.js";
import { postJson, withoutCredentials } from "../remote/post_json.js";
import { checkDocuments, checkQuery } from "../rerank_input.js";
import { type RerankResult, sortResults, validateRerankResults } from "../results.js";
import { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY, rankDocuments } from "./ranked_documents.js";
import { traceCompressorRun } from "./tracing.js";

// Cohere's rerank API is two JSON endpoints, so this class speaks HTTP itself instead of depending on cohere-ai
// (21 MB of AWS SDK with it): installing the package pulls in no SDK, and no SDK validation can log a response or
// put its body in an error. A prebuilt cohere-ai client (Bedrock, SageMaker, custom fetch) is still accepted and
// called through its own `rerank`.

type RerankMethod = (request: never, requestOptions?: never) => Promise<unknown>;

/**
 * The part of a cohere-ai client that CohereRerank calls: `CohereClientV2` (also `BedrockClientV2` and
 * `SagemakerClientV2`), or the v1 `CohereClient` that `@langchain/cohere` takes (its `v2.rerank` is used).
 */
export interface CohereRerankClient {
  rerank: RerankMethod;
  v2?: { rerank: RerankMethod };
}

export interface CohereRerankArgs {
  /**
   * Rerank model.
   * @default "rerank-v3.5"
   */
  model?: string;
  /**
   * How many documents to keep.
   * @default 3
   */
  topN?: number;
  /**
   * Cohere API key. Not needed with `client` (pass it too only so that messages can redact it).
   * @default process.env.COHERE_API_KEY, else process.env.CO_API_KEY
   */
  apiKey?: string;
  /** A prebuilt cohere-ai client (e.g. `BedrockClientV2`, or one with its own fetch/headers). Supersedes apiKey; excludes baseUrl. */
  client?: CohereRerankClient;
  /**
   * Where Cohere's API lives: Azure deployments, proxies, Cohere-compatible servers. A path prefix is kept
   * (`https://host/prefix` → `https://host/prefix/v2/rerank`).
   * @default "https://api.cohere.com"
   */
  baseUrl?: string;
  /**
   * Which Cohere endpoint: `v2` (current) or `v1` (legacy).
   * @default "v1" when `maxChunksPerDoc` is given (that field exists on v1 only, and keeps `@langchain/cohere`
   * configurations meaning what they meant), else "v2"
   */
  apiVersion?: "v1" | "v2";
  /** v1 only: Cohere splits each document into at most this many chunks and scores the best one. */
  maxChunksPerDoc?: number;
  /** v2 only: longer documents are truncated to this many tokens. @default Cohere's own, 4096 */
  maxTokensPerDoc?: number;
  /** v2 only: 0 (first served) to 999. @default Cohere's own, 0 */
  priority?: number;
  /**
   * Documents per request; more are split into requests and merged.
   * @default 1000 (Cohere's recommendation)
   */
  batchSize?: number;
  /**
   * Requests in flight at once for one call.
   * @default 4
   */
  maxConcurrency?: number;
  /**
   * Per request, in milliseconds.
   * @default 60000
   */
  timeout?: number;
  /**
   * Retries of 408, 429, 5xx, timeouts and transient network errors (not a refused port or an unknown host).
   * @default 2
   */
  maxRetries?: number;
  /**
   * First retry delay in ms, doubled each retry (with jitter) unless the server sends Retry-After.
   * @default 1000
   */
  backoffBaseMs?: number;
  /**
   * Longest wait before a retry; a longer Retry-After ends the retries.
   * @default 60000
   */
  maxBackoffMs?: number;
  /** Aborts every call of this instance (ContextualCompressionRetriever passes no signal of its own). */
  signal?: AbortSignal;
  /**
   * Metadata key of the score.
   * @default "relevanceScore"
   */
  scoreKey?: string;
  /**
   * Metadata key of the 1-based first-stage rank.
   * @default "retrievalRank"
   */
  rankKey?: string;
}

export interface CohereRerankCallOptions {
  model?: string;
  topN?: number;
  maxChunksPerDoc?: number;
  signal?: AbortSignal;
}

const OWNER = "CohereRerank";
const DEFAULT_MODEL = "rerank-v3.5";
const DEFAULT_BASE_URL = "https://api.cohere.com";
const CLIENT_NAME = "langchain-rerank";

/**
 * Reranks documents with Cohere Rerank (or any server speaking its API). It takes `@langchain/cohere`'s
 * constructor options and `rerank()` shape; unlike that class it calls the v2 endpoint, returns new documents
 * instead of mutating the caller's, forwards callbacks, batches past 1,000 documents, validates responses, and has
 * timeout, retry and abort. See "Migrating from @langchain/cohere" in docs/cohere-and-servers.md for every difference.
 *
 * @example
 * ```ts
 * import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
 * import { CohereRerank } from "langchain-rerank/cohere";
 *
 * const reranker = new CohereRerank({ model: "rerank-v3.5", topN: 5 }); // key from COHERE_API_KEY
 * const retriever = new ContextualCompressionRetriever({ baseRetriever, baseCompressor: reranker });
 * const docs = await retriever.invoke("does coffee raise blood pressure?");
 * docs[0].metadata.relevanceScore; // Cohere's 0–1 score
 * ```
 */
export class CohereRerank extends BaseDocumentCompressor {
  model: string;
  topN: number;
  maxChunksPerDoc: number | undefined;
  maxTokensPerDoc: number | undefined;
  priority: number | undefined;
  apiVersion: "v1" | "v2";
  /** The base URL requests go to, without any `user:password@` it was given with. */
  baseUrl: string | undefined;
  batchSize: number;
  maxConcurrency: number;
  scoreKey: string | undefined;
  rankKey: string | undefined;
  protected retryPolicy: RetryPolicy;

  // Private (#) so that neither JSON.stringify nor util.inspect (whatever its options) can show the key, the
  // client holding it, or credentials in the base URL.
  readonly #apiKey: string | undefined;
  #client: CohereRerankClient | undefined;
  readonly #explicitVersion: boolean;
  readonly #signal: AbortSignal | undefined;
  /** The base URL as given (it may carry credentials), for requests only. */
  readonly #requestBase: string;

  constructor(fields: CohereRerankArgs = {}) {
    super();
    if (fields === null || typeof fields !== "object" || Array.isArray(fields))
      throw new InvalidOptionError(`${OWNER}: options must be an object such as { model: "rerank-v3.5" }.`);
    this.model = checkString(OWNER, "model", fields.model) ?? DEFAULT_MODEL;
    this.topN = checkPositiveInteger(OWNER, "topN", fields.topN) ?? 3;
    this.maxChunksPerDoc = checkPositiveInteger(OWNER, "maxChunksPerDoc", fields.maxChunksPerDoc);
    this.maxTokensPerDoc = checkPositiveInteger(OWNER, "maxTokensPerDoc", fields.maxTokensPerDoc);
    this.priority = checkNonNegativeInteger(OWNER, "priority", fields.priority);
    if (this.priority !== undefined && this.priority > 999) {
      throw new InvalidOptionError(`${OWNER}: \`priority\` must be between 0 and 999, got ${this.priority}.`);
    }
    const version = checkOneOf(OWNER, "apiVersion", fields.apiVersion, ["v1", "v2"] as const);
    this.#explicitVersion = version !== undefined;
    this.apiVersion = version ?? (this.maxChunksPerDoc !== undefined ? "v1" : "v2");
    checkVersionFields(this.apiVersion, this.maxChunksPerDoc, this.maxTokensPerDoc, this.priority);
    const base = parseBaseUrl(fields.baseUrl);
    this.baseUrl = base?.public;
    this.#requestBase = (base?.request ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.batchSize = checkPositiveInteger(OWNER, "batchSize", fields.batchSize) ?? 1000;
    this.maxConcurrency = checkPositiveInteger(OWNER, "maxConcurrency", fields.maxConcurrency) ?? 4;
    this.scoreKey = checkString(OWNER, "scoreKey", fields.scoreKey);
    this.rankKey = checkString(OWNER, "rankKey", fields.rankKey);
    if ((this.scoreKey ?? DEFAULT_SCORE_KEY) === (this.rankKey ?? DEFAULT_RANK_KEY)) {
      throw new InvalidOptionError(
        `${OWNER}: \`scoreKey\` and \`rankKey\` are both ${JSON.stringify(this.scoreKey ?? DEFAULT_SCORE_KEY)}; the rank would overwrite the score. Use two keys.`,
      );
    }
    this.retryPolicy = retryPolicyFrom(OWNER, fields);
    this.#signal = checkSignal(OWNER, fields.signal);

    if (fields.client !== undefined) {
      if (this.baseUrl !== undefined) {
        throw new InvalidOptionError(`${OWNER}: \`client\` brings its own URL; set baseUrl on the client, or pass \`baseUrl\` without \`client\`.`);
      }
      // As in @langchain/cohere, the client supersedes apiKey; a key given beside it is kept only to redact it.
      this.client = fields.client;
      this.#apiKey = checkApiKey(fields.apiKey) ?? envKey();
    } else {
      const apiKey = checkApiKey(fields.apiKey) ?? checkApiKey(envKey(), "the COHERE_API_KEY / CO_API_KEY environment variable");
      if (apiKey === undefined) {
        throw new InvalidOptionError(
          `${OWNER}: no Cohere API key. Pass \`apiKey\`, set COHERE_API_KEY or CO_API_KEY, or pass a prebuilt \`client\`. ` +
            "(A self-hosted server without authentication still needs a placeholder key.)",
        );
      }
      this.#apiKey = apiKey;
    }
  }

  /**
   * The cohere-ai client requests go through, when one was given (settable, as on `@langchain/cohere`'s class);
   * `undefined` when this class calls Cohere's HTTP API itself. An accessor, so inspection never shows the client.
   */
  get client(): CohereRerankClient | undefined {
    return this.#client;
  }

  set client(client: CohereRerankClient | undefined) {
    if (client !== undefined && typeof (client as { rerank?: unknown } | null)?.rerank !== "function") {
      throw new InvalidOptionError(
        `${OWNER}: \`client\` must be a cohere-ai client (CohereClientV2, BedrockClientV2, CohereClient…) with a rerank method.`,
      );
    }
    this.#client = client;
  }

  /**
   * What util.inspect shows, whatever its options (`showHidden`/`getters` would otherwise reach the client's
   * token through the `client` accessor). The symbol is Node's registered one, so no Node import is needed.
   */
  [Symbol.for("nodejs.util.inspect.custom")](): Record<string, unknown> {
    return this.toJSON();
  }

  /** What JSON.stringify shows: the settings, never the key, the client or URL credentials. */
  toJSON(): Record<string, unknown> {
    const { model, topN, apiVersion, baseUrl, maxChunksPerDoc, maxTokensPerDoc, priority, batchSize, maxConcurrency } = this;
    return {
      name: OWNER,
      model,
      topN,
      apiVersion,
      baseUrl,
      maxChunksPerDoc,
      maxTokensPerDoc,
      priority,
      batchSize,
      maxConcurrency,
      ...this.retryPolicy,
    };
  }

  /**
   * The top `topN` documents, best first, as new Document objects with the score (`metadata.relevanceScore`) and
   * first-stage rank (`metadata.retrievalRank`) added to a copy of their metadata. Runs as its own traced run.
   */
  /**
   * LangChain's compressor call. The optional fourth argument (not part of `BaseDocumentCompressor`) carries a
   * per-call `signal` and `topN`, e.g. from `FallbackReranker`'s timeouts, which then cancel the HTTP request.
   */
  override async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    callbacks?: Callbacks,
    callOptions: Pick<CohereRerankCallOptions, "signal" | "topN"> = {},
  ): Promise<DocumentInterface[]> {
    const options = {
      ...(this.scoreKey !== undefined ? { scoreKey: this.scoreKey } : {}),
      ...(this.rankKey !== undefined ? { rankKey: this.rankKey } : {}),
      reranker: `${OWNER}(${this.model})`,
    };
    // Checked before the run starts, so bad input fails the same way traced or not.
    const texts = documentTexts(documents, true);
    checkQuery(OWNER, query);
    if (texts.length === 0) return [];
    // Traced like CrossEncoderReranker: counts and (index, score) pairs, not the documents' text.
    const { ranked } = await traceCompressorRun(
      OWNER,
      callbacks,
      { query, documents: texts.length, topN: callOptions?.topN ?? this.topN, model: this.model },
      async () => {
        const results = await this.rerank(documents, query, {
          ...(callOptions?.signal !== undefined ? { signal: callOptions.signal } : {}),
          ...(callOptions?.topN !== undefined ? { topN: callOptions.topN } : {}),
        });
        return { ranked: await rankDocuments(documents, results, options), results };
      },
      ({ results }) => ({ results }),
    );
    return ranked;
  }

  /** As `@langchain/cohere`'s: `[{ index, relevanceScore }]`, best first, at most `topN`, indices into `documents`. */
  async rerank(
    documents: Array<DocumentInterface | string | Record<string, string>>,
    query: string,
    options: CohereRerankCallOptions = {},
  ): Promise<RerankResult[]> {
    const texts = documentTexts(documents);
    checkQuery(OWNER, query);
    if (options === null || typeof options !== "object") throw new InvalidOptionError(`${OWNER}.rerank: options must be an object.`);
    const model = checkString(OWNER, "model", options.model) ?? this.model;
    const topN = checkPositiveInteger(OWNER, "topN", options.topN) ?? this.topN;
    const maxChunksPerDoc = checkPositiveInteger(OWNER, "maxChunksPerDoc", options.maxChunksPerDoc) ?? this.maxChunksPerDoc;
    const version = options.maxChunksPerDoc !== undefined && !this.#explicitVersion ? "v1" : this.apiVersion;
    checkVersionFields(version, maxChunksPerDoc, this.maxTokensPerDoc, this.priority);
    const signal = anySignal(this.#signal, checkSignal(OWNER, options.signal));
    signal?.throwIfAborted();
    if (texts.length === 0) return [];
    const send = this.#sender(version);
    const service = `Cohere rerank ${version} (${this.#client !== undefined ? "prebuilt client" : `${this.baseUrl ?? DEFAULT_BASE_URL}`})`;
    const secrets = [this.#apiKey, ...this.#urlSecrets()];

    // Batching and retries are ours rather than @langchain/core's AsyncCaller (p-retry): it does not honour
    // Retry-After, cap a server's wait, abort during a backoff wait, or count attempts for the final error.
    const batches = batchRanges(texts.length, this.batchSize);
    const perBatch = await mapWithConcurrency(
      batches,
      this.maxConcurrency,
      async ({ start, end }, batchSignal) => {
        const slice = texts.slice(start, end);
        const wanted = Math.min(topN, slice.length);
        const results = await withRetries(
          async (attemptSignal) =>
            readResults(await send({ model, query, documents: slice, topN: wanted, maxChunksPerDoc }, attemptSignal), slice.length, wanted),
          { service, policy: this.retryPolicy, signal: batchSignal, secrets },
        );
        return results.map((r) => ({ index: r.index + start, relevanceScore: r.relevanceScore }));
      },
      signal,
    );
    return sortResults(perBatch.flat()).slice(0, topN);
  }

  /** `user:password@` of the base URL, to redact in case a server echoes it. */
  #urlSecrets(): string[] {
    try {
      const url = new URL(this.#requestBase);
      return [url.username, url.password].filter((part) => part !== "").map(decodeURIComponent);
    } catch {
      return [];
    }
  }

  #sender(version: "v1" | "v2"): Sender {
    const client = this.#client;
    if (client === undefined) return version === "v1" ? this.#httpV1() : this.#httpV2();
    if (version === "v2") {
      const rerank = typeof client.v2?.rerank === "function" ? client.v2.rerank.bind(client.v2) : client.rerank.bind(client);
      return (req, signal) =>
        sdkCall(
          () =>
            (rerank as unknown as SdkRerank)(
              {
                model: req.model,
                query: req.query,
                documents: req.documents,
                topN: req.topN,
                ...(this.maxTokensPerDoc !== undefined ? { maxTokensPerDoc: this.maxTokensPerDoc } : {}),
                ...(this.priority !== undefined ? { priority: this.priority } : {}),
              },
              this.#requestOptions(signal),
            ),
          signal,
        );
    }
    // v1 through a client: only the v1 `CohereClient` (which also has `v2`) has it.
    if (typeof client.v2?.rerank !== "function") {
      throw new InvalidOptionError(
        `${OWNER}: \`maxChunksPerDoc\` needs Cohere's v1 endpoint, which the given client (a v2 client such as Bedrock's) does not have. ` +
          "Drop maxChunksPerDoc (v2 truncates long documents to maxTokensPerDoc instead) or pass a v1 CohereClient.",
      );
    }
    const rerank = client.rerank.bind(client) as unknown as SdkRerank;
    return (req, signal) =>
      sdkCall(
        () =>
          rerank(
            {
              model: req.model,
              query: req.query,
              documents: req.documents,
              topN: req.topN,
              returnDocuments: false,
              ...(req.maxChunksPerDoc !== undefined ? { maxChunksPerDoc: req.maxChunksPerDoc } : {}),
            },
            this.#requestOptions(signal),
          ),
        signal,
      );
  }

  #headers(): Record<string, string> {
    return { authorization: `Bearer ${this.#apiKey ?? ""}`, "x-client-name": CLIENT_NAME };
  }

  #httpV2(): Sender {
    const url = `${this.#requestBase}/v2/rerank`;
    return (req, signal) =>
      postJson(
        url,
        {
          model: req.model,
          query: req.query,
          documents: req.documents,
          top_n: req.topN,
          ...(this.maxTokensPerDoc !== undefined ? { max_tokens_per_doc: this.maxTokensPerDoc } : {}),
          ...(this.priority !== undefined ? { priority: this.priority } : {}),
        },
        this.#headers(),
        signal,
      );
  }

  #httpV1(): Sender {
    const url = `${this.#requestBase}/v1/rerank`;
    return (req, signal) =>
      postJson(
        url,
        {
          model: req.model,
          query: req.query,
          documents: req.documents,
          top_n: req.topN,
          return_documents: false,
          ...(req.maxChunksPerDoc !== undefined ? { max_chunks_per_doc: req.maxChunksPerDoc } : {}),
        },
        this.#headers(),
        signal,
      );
  }

  #requestOptions(signal: AbortSignal) {
    // Our loop owns retries and the timeout; the SDK's are disabled (its timeout is a backstop just past ours).
    return { abortSignal: signal, maxRetries: 0, timeoutInSeconds: this.retryPolicy.timeoutMs / 1000 + 1 };
  }
}

type SdkRerank = (request: Record<string, unknown>, requestOptions: Record<string, unknown>) => Promise<unknown>;

interface SendRequest {
  model: string;
  query: string;
  documents: string[];
  topN: number;
  maxChunksPerDoc: number | undefined;
}
type Sender = (request: SendRequest, signal: AbortSignal) => Promise<unknown>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function envKey(): string | undefined {
  return nonEmpty(getEnvironmentVariable("COHERE_API_KEY")) ?? nonEmpty(getEnvironmentVariable("CO_API_KEY"));
}

/** The base URL checked: public form without credentials, request form as given. */
function parseBaseUrl(value: unknown): { public: string; request: string } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^https?:\/\//i.test(value)) {
    const shown = typeof value === "string" ? JSON.stringify(value.replace(/\/\/[^/@]*@/, "//[credentials]@").slice(0, 80)) : typeof value;
    throw new InvalidOptionError(`${OWNER}: \`baseUrl\` must be an http(s) URL such as "https://api.cohere.com", got ${shown}.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(`${OWNER}: \`baseUrl\` is not a valid URL.`);
  }
  if (url.username !== "" || url.password !== "") {
    // fetch refuses URLs with credentials, and Cohere authenticates with the bearer key: say so without echoing them.
    throw new InvalidOptionError(
      `${OWNER}: \`baseUrl\` contains credentials (user:password@${url.host}); fetch cannot send them that way. ` +
        "Pass the key as `apiKey`, or a prebuilt `client` with its own headers.",
    );
  }
  if (url.search !== "" || url.hash !== "" || value.includes("?") || value.includes("#")) {
    // The endpoint path is appended to the base URL, so a query or fragment would swallow it (`…?v=1/v2/rerank`).
    // The query is not echoed: it may hold a key (`?key=`, `?code=`).
    throw new InvalidOptionError(
      `${OWNER}: \`baseUrl\` must not have a query string or fragment (got one after ${JSON.stringify(`${url.origin}${url.pathname}`.slice(0, 80))}): ` +
        "requests go to `${baseUrl}/v2/rerank`. Pass the scheme, host and any path prefix only.",
    );
  }
  const publicUrl = withoutCredentials(url);
  // Keep the caller's spelling (no trailing slash added by URL) for the public field.
  return { public: value.endsWith("/") ? publicUrl : publicUrl.replace(/\/$/, ""), request: value };
}

function checkVersionFields(
  version: "v1" | "v2",
  maxChunksPerDoc: number | undefined,
  maxTokensPerDoc: number | undefined,
  priority: number | undefined,
): void {
  if (version === "v2" && maxChunksPerDoc !== undefined) {
    throw new InvalidOptionError(
      `${OWNER}: \`maxChunksPerDoc\` exists only on Cohere's v1 endpoint, but apiVersion is "v2". ` +
        'Use maxTokensPerDoc on v2 (it truncates instead of chunking), or set apiVersion "v1".',
    );
  }
  if (version === "v1" && (maxTokensPerDoc !== undefined || priority !== undefined)) {
    throw new InvalidOptionError(
      `${OWNER}: \`${maxTokensPerDoc !== undefined ? "maxTokensPerDoc" : "priority"}\` exists only on Cohere's v2 endpoint, but this call uses v1` +
        `${maxChunksPerDoc !== undefined ? " (because of maxChunksPerDoc)" : ""}. Drop one of them.`,
    );
  }
}

/**
 * The text Cohere scores: a string as is, else `pageContent` (as `@langchain/cohere` does). compressDocuments
 * (`documentsOnly`) takes Documents only: it returns Documents built from them, which a string cannot make.
 */
function documentTexts(documents: ReadonlyArray<DocumentInterface | string | Record<string, string>>, documentsOnly = false): string[] {
  if (documentsOnly && Array.isArray(documents)) {
    // Named before the shared check, which would not say that rerank() takes strings. An index loop: holes are the shared check's.
    for (let i = 0; i < documents.length; i++) {
      const doc: unknown = documents[i];
      if (typeof doc === "string") throw new InvalidOptionError(`${OWNER}: document ${i} is a string; pass Documents (rerank() takes strings).`);
      if (doc === null || typeof doc !== "object" || typeof (doc as { pageContent?: unknown }).pageContent !== "string") break;
    }
  }
  checkDocuments(OWNER, documents, { strings: !documentsOnly });
  // checkDocuments rejected holes, so map sees every entry.
  return documents.map((doc) => (typeof doc === "string" ? doc : (doc.pageContent as string)));
}

/** A key that can travel in an Authorization header; never echoed, since it is a secret. */
function checkApiKey(value: unknown, source = "`apiKey`"): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvalidOptionError(
      `${OWNER}: ${source} must be a non-empty string, got ${value === null ? "null" : typeof value === "string" ? "blank text" : `a ${typeof value}`}.`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/.test(value.trim())) {
    throw new InvalidOptionError(
      `${OWNER}: ${source} contains a control or non-Latin-1 character, which an HTTP header cannot carry; check that the key was copied whole and alone.`,
    );
  }
  return value.trim();
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
function readResults(body: unknown, count: number, wanted: number): RerankResult[] {
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
