import { InvalidOptionError } from "../errors.js";
import { checkBoolean, checkCallOptions, checkNonNegativeInteger, checkOneOf, checkPositiveInteger, checkString } from "../options.js";
import { validateRerankResults } from "../results.js";
import { batchRanges, mapWithConcurrency } from "../remote/batching.js";
import { checkApiKey } from "../remote/api_key.js";
import { postJson } from "../remote/post_json.js";
import { AttemptFailure, type RetryPolicy, retryPolicyFrom, withRetries } from "../remote/http_retry.js";
import { maskedUrl, maskUrlSecrets, urlSecrets, withoutCredentials } from "../remote/secrets.js";
import {
  aggregateWindows,
  CHUNK_AGGREGATIONS,
  type ChunkAggregation,
  pieceWords,
  planWindows,
  splitPieces,
  WINDOWING_VERSION,
  windowSpan,
} from "./chunking.js";
import {
  type ChunkSpan,
  checkTextPairs,
  type CrossEncoder,
  type CrossEncoderCallOptions,
  type DetailedScore,
  type ScoreMode,
  type TextPair,
} from "./cross_encoder.js";

/**
 * Request/response shapes of self-hosted rerank servers:
 * - `cohere`: `{model?, query, documents, top_n}` → `{results: [{index, relevance_score}]}`. Cohere v1/v2,
 *   vLLM (`/rerank`, `/v1/rerank`, `/v2/rerank`), Infinity (`/rerank`), Jina (`/v1/rerank`).
 * - `tei`: Hugging Face Text Embeddings Inference `/rerank`: `{query, texts, raw_scores, truncate}` → `[{index, score}]`.
 * - `voyage`: `{model, query, documents, top_k}` → `{data: [{index, relevance_score}]}`.
 */
export type RerankServerDialect = "cohere" | "tei" | "voyage";
export const RERANK_SERVER_DIALECTS: readonly RerankServerDialect[] = ["cohere", "tei", "voyage"];

export interface RerankServerCrossEncoderArgs {
  /**
   * The full endpoint URL, e.g. `http://localhost:8080/rerank` (TEI) or `http://localhost:8000/v1/rerank` (vLLM).
   * Credentials in it (`http://user:password@host/rerank`, e.g. a server behind a proxy with basic auth) are sent
   * as an `Authorization: Basic …` header and masked wherever the URL is shown.
   */
  url: string;
  /** @default "cohere" */
  dialect?: RerankServerDialect;
  /** Sent as `model` (required by Cohere and Voyage, checked by vLLM; TEI serves one model and takes none). */
  model?: string;
  /** Sent as `Authorization: Bearer …` when given (not together with credentials in `url`). */
  apiKey?: string;
  /** Documents per request; more are split and merged. @default 32 for TEI (its default client batch limit), else 1000 */
  batchSize?: number;
  /** Requests in flight at once for one `score` call. @default 4 */
  maxConcurrency?: number;
  /**
   * `sigmoid` (default): 0–1 scores, as servers return by default; a score outside 0–1 is an error, since it means
   * the server sends logits. `raw`: the logit, asked for with `raw_scores: true` (TEI and Infinity only).
   * The same two modes as the local scorer, so thresholds carry over between local and remote.
   */
  scoreMode?: ScoreMode;
  /** TEI only: let the server truncate long inputs (instead of answering 413/422). @default true */
  truncate?: boolean;
  /** Per request, in milliseconds. @default 60000 */
  timeout?: number;
  /** Retries of 408, 429, 5xx, timeouts and transient network errors (not a refused port or an unknown host). @default 2 */
  maxRetries?: number;
  /** First retry delay in ms, doubled each retry (with jitter) unless the server sends Retry-After. @default 1000 */
  backoffBaseMs?: number;
  /** Longest wait before a retry; a longer Retry-After ends the retries. @default 60000 */
  maxBackoffMs?: number;
  /**
   * Long documents: servers truncate, so a document longer than `chunkWords` words is split on the client into
   * windows of `chunkWords` words, at most this many, each scored as its own document; the document gets
   * `chunkAggregation` of its windows' scores and the best window is reported. `1` sends documents whole.
   * @default 1
   */
  maxChunksPerDoc?: number;
  /**
   * Words per window. The client has no tokenizer, so windows are counted in words (whitespace-separated, and
   * dictionary words for unspaced scripts such as Chinese or Japanese; a URL, number or other run of digits and
   * symbols counts one word per 2 characters, a word over 10 letters one per 10); leave room for the query in the
   * server model's limit: a counted word is 1.1–1.4 tokens, so 256 words is at most about 350 tokens.
   * @default 256
   */
  chunkWords?: number;
  /** Words shared by consecutive windows, fewer than `chunkWords`. @default 24 (half of `chunkWords` when that is 24 or less) */
  chunkOverlap?: number;
  /** `max` (the best window) or `mean` of the windows' scores. @default "max" */
  chunkAggregation?: ChunkAggregation;
}

const OWNER = "RerankServerCrossEncoder";

/**
 * A CrossEncoder whose scores come from a rerank server, so `CrossEncoderReranker` runs the same locally or
 * against TEI, vLLM, Infinity, Jina, Voyage or Cohere. Pairs are grouped by query (servers take one query and many
 * documents), split into `batchSize` requests run with bounded concurrency, and merged back into pair order.
 *
 * @example
 * ```ts
 * // network: a rerank server, here Text Embeddings Inference serving BAAI/bge-reranker-base on port 8080
 * import { Document } from "@langchain/core/documents";
 * import { CrossEncoderReranker, RerankServerCrossEncoder } from "langchain-rerank";
 *
 * const reranker = new CrossEncoderReranker({
 *   model: new RerankServerCrossEncoder({ url: "http://localhost:8080/rerank", dialect: "tei" }),
 *   topN: 5,
 * });
 * const candidates = ["Caffeine can raise blood pressure.", "Espresso is brewed coffee."].map((text) => new Document({ pageContent: text }));
 * const top = await reranker.compressDocuments(candidates, "does coffee raise blood pressure?");
 * console.log(top.map((doc) => doc.metadata.relevanceScore));
 * ```
 */
export class RerankServerCrossEncoder implements CrossEncoder {
  /** The endpoint as given, with any credentials and secret-looking query values masked (`***`). */
  readonly url: string;
  readonly dialect: RerankServerDialect;
  readonly model: string | undefined;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly scoreMode: ScoreMode;
  readonly truncate: boolean;
  readonly maxChunksPerDoc: number;
  readonly chunkWords: number;
  readonly chunkOverlap: number;
  readonly chunkAggregation: ChunkAggregation;
  protected readonly retryPolicy: RetryPolicy;
  // Private (#) so that JSON.stringify and util.inspect never show it.
  readonly #apiKey: string | undefined;
  readonly #service: string;
  /** The URL requests go to: credentials removed (fetch refuses a URL that holds them). */
  readonly #endpoint: string;
  /** `Authorization` header value, from `apiKey` or from credentials in `url`. */
  readonly #authorization: string | undefined;
  /** Everything that must never appear in a message. */
  readonly #secrets: readonly string[];

  constructor(fields: RerankServerCrossEncoderArgs) {
    if (fields === null || typeof fields !== "object") {
      throw new InvalidOptionError(
        `${OWNER}: pass an options object with at least \`url\`, e.g. { url: "http://localhost:8080/rerank", dialect: "tei" }.`,
      );
    }
    const url = checkString(OWNER, "url", fields.url);
    if (url === undefined) throw new InvalidOptionError(`${OWNER}: \`url\` is required, e.g. "http://localhost:8080/rerank".`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidOptionError(`${OWNER}: \`url\` is not a URL: ${JSON.stringify(maskUrlSecrets(url))}.`);
    }
    const http = /^https?:$/.test(parsed.protocol);
    if (!http || parsed.pathname === "/" || parsed.pathname === "") {
      // Not http(s): shown masked as text, since without `//` (`admin:s3cr3t@proxy/x`) the parser read the user as a scheme.
      const shown = http ? `${parsed.protocol}//${parsed.host}${parsed.pathname}` : maskUrlSecrets(url).slice(0, 80);
      throw new InvalidOptionError(
        `${OWNER}: \`url\` must be the full http(s) endpoint URL including its path, e.g. http://localhost:8080/rerank (TEI, Infinity), ` +
          `http://localhost:8000/v1/rerank (vLLM, Jina), got ${JSON.stringify(shown)}.`,
      );
    }
    const username = safeDecode(parsed.username);
    const password = safeDecode(parsed.password);
    this.#endpoint = withoutCredentials(parsed);
    this.url = maskedUrl(parsed);
    this.dialect = checkOneOf(OWNER, "dialect", fields.dialect, RERANK_SERVER_DIALECTS) ?? "cohere";
    this.model = checkString(OWNER, "model", fields.model);
    if (this.dialect === "voyage" && this.model === undefined) {
      throw new InvalidOptionError(`${OWNER}: the voyage dialect needs \`model\` (e.g. "rerank-2.5").`);
    }
    this.#apiKey = checkApiKey(OWNER, fields.apiKey);
    if (this.#apiKey !== undefined && (username !== "" || password !== "")) {
      throw new InvalidOptionError(
        `${OWNER}: pass either \`apiKey\` (sent as a Bearer token) or credentials in \`url\` (sent as Basic auth), not both: a request carries one Authorization header.`,
      );
    }
    const basic = username !== "" || password !== "" ? base64Utf8(`${username}:${password}`) : undefined;
    this.#authorization = this.#apiKey !== undefined ? `Bearer ${this.#apiKey}` : basic !== undefined ? `Basic ${basic}` : undefined;
    // `redact` also looks for each in its other encodings.
    this.#secrets = [this.#apiKey, username, password, basic, ...urlSecrets(parsed)].filter(
      (secret): secret is string => secret !== undefined && secret !== "",
    );
    this.batchSize = checkPositiveInteger(OWNER, "batchSize", fields.batchSize) ?? (this.dialect === "tei" ? 32 : 1000);
    this.maxConcurrency = checkPositiveInteger(OWNER, "maxConcurrency", fields.maxConcurrency) ?? 4;
    this.scoreMode = checkOneOf(OWNER, "scoreMode", fields.scoreMode, ["sigmoid", "raw"] as const) ?? "sigmoid";
    if (this.scoreMode === "raw" && this.dialect === "voyage") {
      throw new InvalidOptionError(`${OWNER}: Voyage returns 0–1 scores only; use scoreMode "sigmoid" with the voyage dialect.`);
    }
    this.truncate = checkBoolean(OWNER, "truncate", fields.truncate) ?? true;
    this.retryPolicy = retryPolicyFrom(OWNER, fields);
    this.maxChunksPerDoc = checkPositiveInteger(OWNER, "maxChunksPerDoc", fields.maxChunksPerDoc) ?? 1;
    this.chunkWords = checkPositiveInteger(OWNER, "chunkWords", fields.chunkWords) ?? 256;
    const chunkOverlap = checkNonNegativeInteger(OWNER, "chunkOverlap", fields.chunkOverlap);
    if (chunkOverlap !== undefined && chunkOverlap >= this.chunkWords) {
      throw new InvalidOptionError(
        `${OWNER}: \`chunkOverlap\` (${chunkOverlap}) must be smaller than \`chunkWords\` (${this.chunkWords}), or each window moves on by a single word and \`maxChunksPerDoc\` windows read only the start of the document.`,
      );
    }
    // The default overlap (24 words) is halved for windows too small to hold it.
    this.chunkOverlap = chunkOverlap ?? (this.chunkWords > 24 ? 24 : Math.floor(this.chunkWords / 2));
    this.chunkAggregation = checkOneOf(OWNER, "chunkAggregation", fields.chunkAggregation, CHUNK_AGGREGATIONS) ?? "max";
    // Never put credentials embedded in the URL into messages.
    this.#service = `Rerank server (${this.dialect}, POST ${parsed.protocol}//${parsed.host}${parsed.pathname})`;
  }

  /**
   * Everything that changes a score: the endpoint as `url` shows it (query kept, since `?api-version=` or `?model=`
   * can change scores; credentials and secret values masked, since a key changes none), dialect, model, score mode
   * and truncation. Batching, concurrency, retries and the API key are left out: they do not change the answer.
   */
  /** The model (when one is sent) at the masked `url`: what `stageScores` names. */
  get modelName(): string {
    return this.model === undefined ? this.url : `${this.model} at ${this.url}`;
  }

  get cacheKey(): string {
    const { dialect, scoreMode, truncate } = this;
    const { maxChunksPerDoc, chunkWords, chunkOverlap, chunkAggregation } = this;
    return JSON.stringify({
      scorer: OWNER,
      url: this.url,
      dialect,
      model: this.model ?? null,
      scoreMode,
      truncate,
      maxChunksPerDoc,
      chunkWords,
      chunkOverlap,
      chunkAggregation,
      ...(maxChunksPerDoc > 1 ? { windowing: WINDOWING_VERSION } : {}),
    });
  }

  /** What JSON.stringify shows: the settings, never the key. */
  toJSON(): Record<string, unknown> {
    const { dialect, model, batchSize, maxConcurrency, scoreMode, truncate, maxChunksPerDoc, chunkWords, chunkOverlap, chunkAggregation } = this;
    return {
      name: OWNER,
      url: this.url,
      ...{ dialect, model, batchSize, maxConcurrency, scoreMode, truncate, maxChunksPerDoc, chunkWords, chunkOverlap, chunkAggregation },
      ...this.retryPolicy,
    };
  }

  async score(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<number[]> {
    if (this.maxChunksPerDoc <= 1) return this.#scoreWhole(pairs, options);
    return (await this.scoreDetailed(pairs, options)).map(({ score }) => score);
  }

  /**
   * Scores with details: with `maxChunksPerDoc` above 1, a document split into windows reports its best window's
   * span in the text (`chunk`, UTF-16 offsets as `text.slice` takes them), which `CrossEncoderReranker` turns into
   * `metadata.bestChunk`.
   */
  async scoreDetailed(pairs: readonly TextPair[], options: CrossEncoderCallOptions = {}): Promise<DetailedScore[]> {
    if (this.maxChunksPerDoc <= 1) return (await this.#scoreWhole(pairs, options, "scoreDetailed")).map((score) => ({ score }));
    checkTextPairs(`${OWNER}.scoreDetailed`, pairs, { nonEmptyQuery: true });
    const windows: TextPair[] = [];
    const spans: (ChunkSpan | undefined)[] = [];
    const firstWindow: number[] = [];
    for (const [query, text] of pairs) {
      firstWindow.push(windows.length);
      const pieces = splitPieces(text);
      // A piece is a word, or its dictionary words in an unspaced script (a line of Chinese is one piece).
      const sizes = pieces.map(({ start, end }) => pieceWords(text.slice(start, end)));
      if (sizes.reduce((a, b) => a + b, 0) <= this.chunkWords) {
        windows.push([query, text]);
        spans.push(undefined);
        continue;
      }
      const planned = planWindows(sizes, { budget: this.chunkWords, overlap: this.chunkOverlap, maxWindows: this.maxChunksPerDoc });
      for (const window of planned) {
        const span = windowSpan(pieces, window);
        windows.push([query, text.slice(span.start, span.end)]);
        spans.push(span);
      }
    }
    firstWindow.push(windows.length);
    const scores = await this.#scoreWhole(windows, options);
    return pairs.map((_, i) => {
      const { score, best } = aggregateWindows(scores.slice(firstWindow[i]!, firstWindow[i + 1]!), this.chunkAggregation);
      const span = spans[firstWindow[i]! + best];
      return span === undefined ? { score } : { score, chunk: { ...span } };
    });
  }

  async #scoreWhole(pairs: readonly TextPair[], options: CrossEncoderCallOptions, method = "score"): Promise<number[]> {
    checkTextPairs(`${OWNER}.${method}`, pairs, { nonEmptyQuery: true });
    checkCallOptions(OWNER, options);
    // Servers rank many documents against one query: group the pairs by query, keeping each pair's position.
    const groups = new Map<string, number[]>();
    pairs.forEach(([query], i) => {
      const group = groups.get(query);
      if (group) group.push(i);
      else groups.set(query, [i]);
    });
    const tasks = [...groups].flatMap(([query, indices]) =>
      batchRanges(indices.length, this.batchSize).map(({ start, end }) => ({ query, indices: indices.slice(start, end) })),
    );
    const scores = new Array<number>(pairs.length);
    await mapWithConcurrency(
      tasks,
      this.maxConcurrency,
      async ({ query, indices }, signal) => {
        const texts = indices.map((i) => (pairs[i] as TextPair)[1]);
        const batchScores = await withRetries((attemptSignal) => this.#request(query, texts, attemptSignal), {
          service: this.#service,
          policy: this.retryPolicy,
          signal,
          secrets: this.#secrets,
        });
        indices.forEach((pairIndex, k) => (scores[pairIndex] = batchScores[k] as number));
      },
      options.signal,
    );
    return scores;
  }

  /** One request: scores for `texts` in their order, or an AttemptFailure for the retry loop. */
  async #request(query: string, texts: string[], signal: AbortSignal): Promise<number[]> {
    const raw = this.scoreMode === "raw";
    let body: Record<string, unknown>;
    switch (this.dialect) {
      case "tei":
        body = { query, texts, raw_scores: raw, truncate: this.truncate };
        break;
      case "voyage":
        body = { query, documents: texts, model: this.model, top_k: texts.length };
        break;
      default:
        // `top_n` is always sent: vLLM rejects null, Infinity wants > 0, and all documents are needed.
        body = {
          ...(this.model !== undefined ? { model: this.model } : {}),
          query,
          documents: texts,
          top_n: texts.length,
          ...(raw ? { raw_scores: true } : {}),
        };
    }
    const headers: Record<string, string> = this.#authorization !== undefined ? { authorization: this.#authorization } : {};
    const json = await postJson(this.#endpoint, body, headers, signal);
    return this.#readScores(json, texts.length);
  }

  #readScores(json: unknown, count: number): number[] {
    const invalid = (reason: string) => new AttemptFailure("invalid-response", { reason });
    const items =
      this.dialect === "tei"
        ? json
        : this.dialect === "voyage"
          ? (json as { data?: unknown } | null)?.data
          : (json as { results?: unknown } | null)?.results;
    const where = this.dialect === "tei" ? "a bare array" : this.dialect === "voyage" ? "a `data` array" : "a `results` array";
    if (!Array.isArray(items)) throw invalid(`expected ${where} of results`);
    const scoreField = this.dialect === "tei" ? "score" : "relevance_score";
    const results = items.map((item: unknown, i: number) => {
      if (item === null || typeof item !== "object") throw invalid(`result ${i} is not an object`);
      const record = item as Record<string, unknown>;
      return { index: record.index as number, relevanceScore: record[scoreField] as number };
    });
    try {
      validateRerankResults(results, count, "the server");
    } catch (error) {
      throw invalid((error as Error).message.replace(/\.$/, ""));
    }
    if (results.length !== count) throw invalid(`${results.length} scores for the ${count} documents sent`);
    const scores = new Array<number>(count);
    for (const { index, relevanceScore } of results) {
      if (this.scoreMode === "sigmoid" && (relevanceScore < 0 || relevanceScore > 1)) {
        throw invalid(
          `score ${relevanceScore} is outside 0–1, so the server sends logits; use scoreMode "raw" (and thresholds chosen for raw scores)`,
        );
      }
      scores[index] = relevanceScore;
    }
    return scores;
  }
}

/** RFC 7617 Basic credentials (UTF-8), with btoa so the root entry needs no Node built-in. */
function base64Utf8(text: string): string {
  return btoa(Array.from(new TextEncoder().encode(text), (byte) => String.fromCharCode(byte)).join(""));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
