import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { getEnvironmentVariable } from "@langchain/core/utils/env";
import { InvalidOptionError } from "../errors.js";
import { anySignal } from "../cancellation.js";
import { checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkSignal, checkString, describeValue } from "../options.js";
import { checkApiKey } from "../remote/api_key.js";
import { batchRanges, mapWithConcurrency } from "../remote/batching.js";
import {
  type CohereRerankClient,
  DEFAULT_COHERE_BASE_URL,
  checkCohereVersionFields,
  cohereSender,
  parseCohereBaseUrl,
  readCohereResults,
} from "../remote/cohere_api.js";
import { type RetryPolicy, retryPolicyFrom, withRetries } from "../remote/http_retry.js";
import { urlSecrets } from "../remote/secrets.js";
import { checkDocuments, checkQuery } from "../rerank_input.js";
import { type RerankResult, sortResults } from "../results.js";
import { DEFAULT_RANK_KEY, DEFAULT_SCORE_KEY, rankDocuments } from "./ranked_documents.js";
import { traceCompressorRun } from "./tracing.js";

// Cohere's rerank API is two JSON endpoints, so this class speaks HTTP itself instead of depending on cohere-ai
// (21 MB of AWS SDK with it): installing the package pulls in no SDK, and no SDK validation can log a response or
// put its body in an error. A prebuilt cohere-ai client (Bedrock, SageMaker, custom fetch) is still accepted and
// called through its own `rerank`.

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

/**
 * Reranks documents with Cohere Rerank (or any server speaking its API). It takes `@langchain/cohere`'s
 * constructor options and `rerank()` shape; unlike that class it calls the v2 endpoint, returns new documents
 * instead of mutating the caller's, forwards callbacks, batches past 1,000 documents, validates responses, and has
 * timeout, retry and abort. See "Migrating from @langchain/cohere" in docs/cohere-and-servers.md for every difference.
 *
 * @example
 * ```ts
 * // network: Cohere's API, with the key from COHERE_API_KEY
 * import { Document } from "@langchain/core/documents";
 * import { CohereRerank } from "langchain-rerank/cohere";
 *
 * const reranker = new CohereRerank({ model: "rerank-v3.5", topN: 5 }); // in a ContextualCompressionRetriever, or alone:
 * const candidates = ["Caffeine can raise blood pressure.", "Espresso is brewed coffee."].map((text) => new Document({ pageContent: text }));
 * const docs = await reranker.compressDocuments(candidates, "does coffee raise blood pressure?");
 * console.log(docs[0]?.metadata.relevanceScore); // Cohere's 0–1 score
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
    checkCohereVersionFields(OWNER, this.apiVersion, this.maxChunksPerDoc, this.maxTokensPerDoc, this.priority);
    const base = parseCohereBaseUrl(OWNER, fields.baseUrl);
    this.baseUrl = base?.public;
    this.#requestBase = (base?.request ?? DEFAULT_COHERE_BASE_URL).replace(/\/+$/, "");
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
      this.#apiKey = checkApiKey(OWNER, fields.apiKey) ?? envKey();
    } else {
      const apiKey = checkApiKey(OWNER, fields.apiKey) ?? checkApiKey(OWNER, envKey(), "the COHERE_API_KEY / CO_API_KEY environment variable");
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
    checkCohereVersionFields(OWNER, version, maxChunksPerDoc, this.maxTokensPerDoc, this.priority);
    const signal = anySignal(this.#signal, checkSignal(OWNER, options.signal));
    signal?.throwIfAborted();
    if (texts.length === 0) return [];
    const send = cohereSender(OWNER, {
      version,
      client: this.#client,
      baseUrl: this.#requestBase,
      apiKey: this.#apiKey,
      maxTokensPerDoc: this.maxTokensPerDoc,
      priority: this.priority,
      timeout: this.retryPolicy.timeout,
    });
    const service = `Cohere rerank ${version} (${this.#client !== undefined ? "prebuilt client" : `${this.baseUrl ?? DEFAULT_COHERE_BASE_URL}`})`;
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
            readCohereResults(await send({ model, query, documents: slice, topN: wanted, maxChunksPerDoc }, attemptSignal), slice.length, wanted),
          { service, policy: this.retryPolicy, signal: batchSignal, secrets },
        );
        return results.map((r) => ({ index: r.index + start, relevanceScore: r.relevanceScore }));
      },
      signal,
    );
    return sortResults(perBatch.flat()).slice(0, topN);
  }

  /** Secrets of the base URL, to redact in case a server echoes it (the constructor refuses them; kept as a backstop). */
  #urlSecrets(): string[] {
    try {
      return urlSecrets(new URL(this.#requestBase));
    } catch {
      return [];
    }
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function envKey(): string | undefined {
  return nonEmpty(getEnvironmentVariable("COHERE_API_KEY")) ?? nonEmpty(getEnvironmentVariable("CO_API_KEY"));
}

/**
 * The text Cohere scores: a string as is, else `pageContent` (as `@langchain/cohere` does), else, for rerank()'s
 * `Record<string, string>` items (Cohere's document objects), `text` (the field Cohere's v1 API scores by default),
 * else one `key: value` line per field (Cohere's v2 API takes strings and asks for structured documents as YAML).
 * compressDocuments (`documentsOnly`) takes Documents only: it returns Documents built from them, which a string cannot make.
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
  // Records become their text first (map keeps holes, which the shared check then names).
  const items = documentsOnly || !Array.isArray(documents) ? documents : documents.map((doc, i) => recordText(doc, i) ?? doc);
  checkDocuments(OWNER, items, { strings: !documentsOnly });
  // checkDocuments rejected holes, so map sees every entry.
  return items.map((doc) => (typeof doc === "string" ? doc : (doc.pageContent as string)));
}

/** The text of a `Record<string, string>` item (an object without `pageContent`); undefined for anything else. */
function recordText(doc: unknown, index: number): string | undefined {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc) || "pageContent" in doc) return undefined;
  const fields = Object.entries(doc);
  if (fields.length === 0)
    throw new InvalidOptionError(`${OWNER}: document ${index} is an empty object; pass a Document, a string or a record of strings.`);
  for (const [key, value] of fields) {
    if (typeof value !== "string") {
      throw new InvalidOptionError(
        `${OWNER}: document ${index} is a record whose field ${JSON.stringify(key)} is ${describeValue(value)}; a record's fields must be strings (or pass a Document).`,
      );
    }
  }
  const { text } = doc as Record<string, string>;
  return text ?? fields.map(([key, value]) => `${key}: ${value}`).join("\n");
}
