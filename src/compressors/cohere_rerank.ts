import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { getEnvironmentVariable } from "@langchain/core/utils/env";
import { CohereClient, CohereClientV2, CohereError, CohereTimeoutError } from "cohere-ai";
import { InvalidOptionError, RerankError } from "../errors.js";
import { checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkString } from "../options.js";
import { batchRanges, mapWithConcurrency } from "../remote/batching.js";
import { AttemptFailure, type RetryPolicy, fetchErrorReason, parseRetryAfter, retryPolicyFrom, serverMessageOf, withRetries } from "../remote/http_retry.js";
import { type RerankResult, sortResults, validateRerankResults } from "../results.js";
import { rankDocuments } from "./ranked_documents.js";
import { traceCompressorRun } from "./tracing.js";

/** What `client` may be: the SDK's v2 client (also Bedrock/SageMaker `…V2`), or its v1 `CohereClient` (as `@langchain/cohere` takes). */
export type CohereRerankClient = Pick<CohereClientV2, "rerank"> | Pick<CohereClient, "rerank" | "v2">;

export interface CohereRerankArgs {
  /** Rerank model. @default "rerank-v3.5" */
  model?: string;
  /** How many documents to keep. @default 3 */
  topN?: number;
  /** Else COHERE_API_KEY, else CO_API_KEY. Not needed with `client`. */
  apiKey?: string;
  /** A prebuilt cohere-ai client (e.g. `BedrockClientV2`, or one with its own fetch/headers). Supersedes apiKey; excludes baseUrl. */
  client?: CohereRerankClient;
  /** Where Cohere's API lives: Azure deployments, proxies, Cohere-compatible servers. A path prefix is kept. */
  baseUrl?: string;
  /**
   * Which Cohere endpoint: `v2` (current) or `v1` (legacy). Defaults to `v1` only when `maxChunksPerDoc` is given,
   * since that field exists on v1 only (and keeps `@langchain/cohere` configurations meaning what they meant).
   */
  apiVersion?: "v1" | "v2";
  /** v1 only: Cohere splits each document into at most this many chunks and scores the best one. */
  maxChunksPerDoc?: number;
  /** v2 only: longer documents are truncated to this many tokens (Cohere's default 4,096). */
  maxTokensPerDoc?: number;
  /** v2 only: 0 (default, first served) to 999. */
  priority?: number;
  /** Documents per request; more are split into requests and merged. @default 1000 (Cohere's recommendation) */
  batchSize?: number;
  /** Requests in flight at once for one call. @default 4 */
  maxConcurrency?: number;
  /** Per request, in milliseconds. @default 60000 */
  timeout?: number;
  /** Retries of 408, 429, 5xx, timeouts and network errors. @default 2 */
  maxRetries?: number;
  /** First retry delay in ms, doubled each retry (with jitter) unless the server sends Retry-After. @default 1000 */
  backoffBaseMs?: number;
  /** Longest wait before a retry; a longer Retry-After ends the retries. @default 60000 */
  maxBackoffMs?: number;
  /** Aborts every call of this instance (ContextualCompressionRetriever passes no signal of its own). */
  signal?: AbortSignal;
  /** Metadata key of the score. @default "relevanceScore" */
  scoreKey?: string;
  /** Metadata key of the 1-based first-stage rank. @default "retrievalRank" */
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
const CLIENT_NAME = "langchain-rerank";

/**
 * Reranks documents with Cohere Rerank (or any server speaking its API). A drop-in replacement for
 * `@langchain/cohere`'s `CohereRerank` that calls the v2 endpoint, returns new documents instead of mutating the
 * caller's, forwards callbacks, batches past 1,000 documents, validates responses, and has timeout, retry and abort.
 */
export class CohereRerank extends BaseDocumentCompressor {
  model: string;
  topN: number;
  maxChunksPerDoc: number | undefined;
  maxTokensPerDoc: number | undefined;
  priority: number | undefined;
  apiVersion: "v1" | "v2";
  baseUrl: string | undefined;
  batchSize: number;
  maxConcurrency: number;
  scoreKey: string | undefined;
  rankKey: string | undefined;
  protected retryPolicy: RetryPolicy;

  // Private (#) so that neither JSON.stringify nor util.inspect can show the key or the client holding it.
  readonly #apiKey: string | undefined;
  readonly #client: CohereRerankClient;
  #v1Client: Pick<CohereClient, "rerank"> | undefined;
  readonly #explicitVersion: boolean;
  readonly #signal: AbortSignal | undefined;
  /** True when we built the client from apiKey/baseUrl (and so may build its v1 sibling). */
  readonly #ownsClient: boolean;
  /** Where requests go, for messages. */
  readonly #where: string;

  constructor(fields: CohereRerankArgs = {}) {
    super();
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
    this.baseUrl = checkString(OWNER, "baseUrl", fields.baseUrl);
    if (this.baseUrl !== undefined && !/^https?:\/\//.test(this.baseUrl)) {
      throw new InvalidOptionError(`${OWNER}: \`baseUrl\` must be an http(s) URL such as "https://api.cohere.com", got ${JSON.stringify(this.baseUrl)}.`);
    }
    this.batchSize = checkPositiveInteger(OWNER, "batchSize", fields.batchSize) ?? 1000;
    this.maxConcurrency = checkPositiveInteger(OWNER, "maxConcurrency", fields.maxConcurrency) ?? 4;
    this.scoreKey = checkString(OWNER, "scoreKey", fields.scoreKey);
    this.rankKey = checkString(OWNER, "rankKey", fields.rankKey);
    this.retryPolicy = retryPolicyFrom(OWNER, fields);
    if (fields.signal !== undefined && !(fields.signal instanceof AbortSignal)) {
      throw new InvalidOptionError(`${OWNER}: \`signal\` must be an AbortSignal.`);
    }
    this.#signal = fields.signal;
    this.#where = this.baseUrl ?? (fields.client !== undefined ? "prebuilt client" : "api.cohere.com");

    this.#ownsClient = fields.client === undefined;
    if (fields.client !== undefined) {
      if (typeof (fields.client as { rerank?: unknown }).rerank !== "function") {
        throw new InvalidOptionError(`${OWNER}: \`client\` must be a cohere-ai client (CohereClientV2, BedrockClientV2, CohereClient…) with a rerank method.`);
      }
      if (this.baseUrl !== undefined) {
        throw new InvalidOptionError(`${OWNER}: \`client\` brings its own URL; set baseUrl on the client, or pass \`baseUrl\` without \`client\`.`);
      }
      // As in @langchain/cohere, the client supersedes apiKey. Either key is kept only to redact it from messages.
      this.#client = fields.client;
      const token = (fields.client as { _options?: { token?: unknown } })._options?.token;
      this.#apiKey = typeof token === "string" ? token : fields.apiKey;
    } else {
      const apiKey = checkString(OWNER, "apiKey", fields.apiKey) ?? nonEmpty(getEnvironmentVariable("COHERE_API_KEY")) ?? nonEmpty(getEnvironmentVariable("CO_API_KEY"));
      if (apiKey === undefined) {
        throw new InvalidOptionError(
          `${OWNER}: no Cohere API key. Pass \`apiKey\`, set COHERE_API_KEY or CO_API_KEY, or pass a prebuilt \`client\`. ` +
            "(A self-hosted server without authentication still needs a placeholder key.)",
        );
      }
      this.#apiKey = apiKey;
      this.#client = new CohereClientV2(this.#sdkOptions());
    }
  }

  /** The cohere-ai client in use (kept off the instance's enumerable fields: it holds the key). */
  get client(): CohereRerankClient {
    return this.#client;
  }

  /** What JSON.stringify shows: the settings, never the key or the client. */
  toJSON(): Record<string, unknown> {
    const { model, topN, apiVersion, baseUrl, maxChunksPerDoc, maxTokensPerDoc, priority, batchSize, maxConcurrency } = this;
    return { name: OWNER, model, topN, apiVersion, baseUrl, maxChunksPerDoc, maxTokensPerDoc, priority, batchSize, maxConcurrency, ...this.retryPolicy };
  }

  /**
   * The top `topN` documents, best first, as new Document objects with the score (`metadata.relevanceScore`) and
   * first-stage rank (`metadata.retrievalRank`) added to a copy of their metadata. Runs as its own traced run.
   */
  override async compressDocuments(documents: DocumentInterface[], query: string, callbacks?: Callbacks): Promise<DocumentInterface[]> {
    // Traced like CrossEncoderReranker: counts and (index, score) pairs, not the documents' text.
    const options = {
      ...(this.scoreKey !== undefined ? { scoreKey: this.scoreKey } : {}),
      ...(this.rankKey !== undefined ? { rankKey: this.rankKey } : {}),
      reranker: `${OWNER}(${this.model})`,
    };
    return traceCompressorRun(
      OWNER,
      callbacks,
      { query, documents: Array.isArray(documents) ? documents.length : 0, topN: this.topN, model: this.model },
      async () => {
        if (!Array.isArray(documents)) throw new RerankError(`${OWNER}: \`documents\` must be an array of Documents.`);
        if (documents.length === 0) return { ranked: [], results: [] };
        const results = await this.rerank(documents, query);
        return { ranked: await rankDocuments(documents, results, options), results };
      },
      ({ results }) => ({ results }),
    ).then(({ ranked }) => ranked);
  }

  /** As `@langchain/cohere`'s: `[{ index, relevanceScore }]`, best first, at most `topN`, indices into `documents`. */
  async rerank(
    documents: Array<DocumentInterface | string | Record<string, string>>,
    query: string,
    options: CohereRerankCallOptions = {},
  ): Promise<RerankResult[]> {
    if (typeof query !== "string" || query.trim() === "") {
      throw new RerankError(`${OWNER}: the query must be a non-empty string (Cohere rejects an empty one), got ${JSON.stringify(query)}.`);
    }
    const texts = documentTexts(documents);
    if (texts.length === 0) return [];
    const model = checkString(OWNER, "model", options.model) ?? this.model;
    const topN = checkPositiveInteger(OWNER, "topN", options.topN) ?? this.topN;
    const maxChunksPerDoc = checkPositiveInteger(OWNER, "maxChunksPerDoc", options.maxChunksPerDoc) ?? this.maxChunksPerDoc;
    const version = options.maxChunksPerDoc !== undefined && !this.#explicitVersion ? "v1" : this.apiVersion;
    checkVersionFields(version, maxChunksPerDoc, this.maxTokensPerDoc, this.priority);
    const signal = anySignal(this.#signal, options.signal);
    const service = `Cohere rerank ${version} (${this.#where})`;
    const send = version === "v1" ? this.#v1Sender(service) : this.#v2Sender(service);

    const batches = batchRanges(texts.length, this.batchSize);
    const perBatch = await mapWithConcurrency(
      batches,
      this.maxConcurrency,
      async ({ start, end }, batchSignal) => {
        const slice = texts.slice(start, end);
        const wanted = Math.min(topN, slice.length);
        const results = await withRetries(
          async (attemptSignal) => {
            const body = await send({ model, query, documents: slice, topN: wanted, maxChunksPerDoc }, attemptSignal);
            return readResults(body, slice.length, wanted);
          },
          { service, policy: this.retryPolicy, signal: batchSignal, secrets: [this.#apiKey] },
        );
        return results.map((r) => ({ index: r.index + start, relevanceScore: r.relevanceScore }));
      },
      signal,
    );
    return sortResults(perBatch.flat()).slice(0, topN);
  }

  #sdkOptions(): ConstructorParameters<typeof CohereClientV2>[0] {
    return {
      token: this.#apiKey,
      ...(this.baseUrl !== undefined ? { baseUrl: this.baseUrl } : {}),
      clientName: CLIENT_NAME,
      maxRetries: 0,
      fetch: describedFetch,
    };
  }

  #requestOptions(signal: AbortSignal) {
    // Our loop owns retries and the timeout; the SDK's are disabled (its timeout is a backstop just past ours).
    return { abortSignal: signal, maxRetries: 0, timeoutInSeconds: this.retryPolicy.timeoutMs / 1000 + 1, clientName: CLIENT_NAME };
  }

  #v2Sender(service: string): Sender {
    const client = this.#client;
    const rerank = "v2" in client && typeof client.v2?.rerank === "function" ? client.v2.rerank.bind(client.v2) : client.rerank.bind(client);
    return (req, signal) =>
      sdkCall(service, () =>
        (rerank as CohereClientV2["rerank"])(
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
      );
  }

  #v1Sender(service: string): Sender {
    let v1 = this.#v1Client;
    if (v1 === undefined) {
      const client = this.#client;
      if ("v2" in client && typeof client.rerank === "function") v1 = client;
      else if (this.#ownsClient) v1 = new CohereClient(this.#sdkOptions());
      else {
        throw new InvalidOptionError(
          `${OWNER}: \`maxChunksPerDoc\` needs Cohere's v1 endpoint, which the given client (a v2 client such as Bedrock's) does not have. ` +
            "Drop maxChunksPerDoc (v2 truncates long documents to maxTokensPerDoc instead) or pass a v1 CohereClient.",
        );
      }
      this.#v1Client = v1;
    }
    const client = v1;
    return (req, signal) =>
      sdkCall(service, () =>
        client.rerank(
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
      );
  }
}

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

function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (b !== undefined && !(b instanceof AbortSignal)) throw new InvalidOptionError(`${OWNER}: \`signal\` must be an AbortSignal.`);
  return a && b ? AbortSignal.any([a, b]) : (a ?? b);
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

/** The text Cohere scores: a string as is, else `pageContent` (as `@langchain/cohere` does). */
function documentTexts(documents: ReadonlyArray<DocumentInterface | string | Record<string, string>>): string[] {
  if (!Array.isArray(documents)) throw new RerankError(`${OWNER}: \`documents\` must be an array.`);
  return documents.map((doc, i) => {
    const text = typeof doc === "string" ? doc : (doc as { pageContent?: unknown } | null)?.pageContent;
    if (typeof text !== "string") {
      throw new RerankError(`${OWNER}: document ${i} has no string \`pageContent\` (got ${text === undefined ? "undefined" : typeof text}); pass Documents or strings.`);
    }
    return text;
  });
}

/** Calls the SDK and turns its errors into attempt failures the retry loop understands. */
async function sdkCall(service: string, call: () => Promise<unknown>): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CohereTimeoutError) throw new AttemptFailure("timeout");
    if (error instanceof CohereError) {
      const status = error.statusCode;
      if (typeof status === "number" && status > 0 && status !== 499) {
        const headers = (error.rawResponse as { headers?: { get?(name: string): string | null } } | undefined)?.headers;
        const retryAfterMs = parseRetryAfter(headers?.get?.("retry-after"));
        const serverMessage = serverMessageOf(error.body);
        throw new AttemptFailure("status", {
          status,
          ...(serverMessage !== undefined ? { serverMessage } : {}),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }
      // No status: the SDK saw no HTTP answer (or an abort, which the retry loop recognises by its signal).
      throw new AttemptFailure("network", { reason: error.message.split("\n")[0] ?? "network error" });
    }
    throw error;
  }
}

/** The SDK keeps only `error.message` of a failed fetch ("fetch failed"); this puts the low-level cause in it. */
const describedFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (error) {
    if (error instanceof Error && error.name !== "AbortError" && error.cause instanceof Error) {
      throw new TypeError(fetchErrorReason(error), { cause: error.cause });
    }
    throw error;
  }
};

/** Checks a Cohere-shaped body and returns its results with indices local to the batch. */
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
    const { index, relevanceScore } = item as { index?: unknown; relevanceScore?: unknown };
    return { index: index as number, relevanceScore: relevanceScore as number };
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
