import { anySignal } from "../cancellation.js";
import { type RerankResult, sortResults } from "../results.js";
import { batchRanges, mapWithConcurrency } from "./batching.js";
import { type CohereRerankClient, DEFAULT_COHERE_BASE_URL, checkCohereVersionFields, cohereSender, readCohereResults } from "./cohere_api.js";
import { type RetryPolicy, withRetries } from "./http_retry.js";

// The scorer behind CohereRerank, as a CrossEncoder is behind CrossEncoderReranker: it sends one query and its
// documents to Cohere (in batches, with retries) and answers Cohere's top-N results. CohereRerank keeps the public
// options and runs the shared compressor steps over it.

/** Everything a call to Cohere needs that CohereRerank's constructor has checked. */
export interface CohereScorerSettings {
  client: CohereRerankClient | undefined;
  /** The base URL as given (no trailing slash). */
  requestBase: string;
  /** The base URL as shown in messages (without credentials); undefined for Cohere's own. */
  publicBase: string | undefined;
  apiKey: string | undefined;
  maxTokensPerDoc: number | undefined;
  priority: number | undefined;
  batchSize: number;
  maxConcurrency: number;
  retryPolicy: RetryPolicy;
  /** The instance's signal, joined with each call's. */
  signal: AbortSignal | undefined;
}

/** One call: the endpoint version, the model, how many results, v1's chunking, and the call's signal. */
export interface CohereRankRequest {
  version: "v1" | "v2";
  model: string;
  topN: number;
  maxChunksPerDoc: number | undefined;
  signal: AbortSignal | undefined;
}

export class CohereScorer {
  readonly #owner: string;
  readonly #settings: () => CohereScorerSettings;

  /** `settings` is read on each call: CohereRerank's `client` is settable, as on `@langchain/cohere`'s class. */
  constructor(owner: string, settings: () => CohereScorerSettings) {
    this.#owner = owner;
    this.#settings = settings;
  }

  /** Cohere's results for `texts`: `[{ index, relevanceScore }]`, best first, at most `topN`, indices into `texts`. */
  async rank(query: string, texts: readonly string[], request: CohereRankRequest): Promise<RerankResult[]> {
    const settings = this.#settings();
    const { version, model, topN, maxChunksPerDoc } = request;
    checkCohereVersionFields(this.#owner, version, maxChunksPerDoc, settings.maxTokensPerDoc, settings.priority);
    const signal = anySignal(settings.signal, request.signal);
    signal?.throwIfAborted();
    if (texts.length === 0) return [];
    const send = cohereSender(this.#owner, {
      version,
      client: settings.client,
      baseUrl: settings.requestBase,
      apiKey: settings.apiKey,
      maxTokensPerDoc: settings.maxTokensPerDoc,
      priority: settings.priority,
      timeout: settings.retryPolicy.timeout,
    });
    const service = `Cohere rerank ${version} (${settings.client !== undefined ? "prebuilt client" : (settings.publicBase ?? DEFAULT_COHERE_BASE_URL)})`;
    const secrets = [settings.apiKey];

    // Batching and retries are ours rather than @langchain/core's AsyncCaller (p-retry): it does not honour
    // Retry-After, cap a server's wait, abort during a backoff wait, or count attempts for the final error.
    const batches = batchRanges(texts.length, settings.batchSize);
    const perBatch = await mapWithConcurrency(
      batches,
      settings.maxConcurrency,
      async ({ start, end }, batchSignal) => {
        const slice = texts.slice(start, end);
        const wanted = Math.min(topN, slice.length);
        const results = await withRetries(
          async (attemptSignal) =>
            readCohereResults(await send({ model, query, documents: slice, topN: wanted, maxChunksPerDoc }, attemptSignal), slice.length, wanted),
          { service, policy: settings.retryPolicy, signal: batchSignal, secrets },
        );
        return results.map((r) => ({ index: r.index + start, relevanceScore: r.relevanceScore }));
      },
      signal,
    );
    return sortResults(perBatch.flat()).slice(0, topN);
  }
}
