import { writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

/**
 * A local stand-in for rerank APIs, on 127.0.0.1 and an ephemeral port, faithful to their documented request
 * validation and response shapes (see docs/cohere-and-servers.md):
 *
 * - `POST /v2/rerank` Cohere v2, `POST /v1/rerank` Cohere v1 (legacy),
 * - `POST /rerank` Hugging Face Text Embeddings Inference (`texts`, bare-array response, client batch limit),
 * - `POST /infinity/rerank` Infinity (an OpenAI-style prefix, `raw_scores`),
 * - `POST /voyage/v1/rerank` Voyage (`top_k`, `data`); hosted under a prefix only so it can share the server.
 *
 * Scores are deterministic: the share of the query's distinct terms found in the document (0–1); servers that
 * can return logits map it to `10·s − 5` and report `sigmoid` of that by default, as TEI does.
 * Faults are queued with `fail(...)` and consumed one per request, whatever the route.
 */

export type Fault =
  | { status: number; retryAfter?: string; message?: string }
  | { kind: "slow"; delayMs: number }
  | { kind: "malformed-json" }
  | { kind: "index-out-of-range" }
  | { kind: "duplicate-index" }
  | { kind: "missing-score" }
  /** A misconfigured server: logits where 0–1 scores were asked for. */
  | { kind: "scores-as-logits" }
  | { kind: "reset" }
  /** A 200 whose body is exactly this JSON value, whatever was asked (a hostile or broken server). */
  | { kind: "body"; json: unknown }
  /** A 200 whose headers arrive at once and whose body (the valid answer) stalls halfway for `delayMs`. */
  | { kind: "slow-body"; delayMs: number }
  /** A 200 whose connection is destroyed halfway through the (valid) body. */
  | { kind: "reset-mid-body" }
  /** A 200 streaming `bytes` bytes of a JSON string (a runaway or hostile server), in 1 MiB chunks. */
  | { kind: "huge-body"; bytes: number };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  /** The parsed JSON body (undefined if it was not JSON). */
  body: unknown;
  /** Milliseconds (performance.now) when the request arrived. */
  at: number;
  /** Which queued fault this request met, if any. */
  fault: string | undefined;
  /** The status answered (0 for a reset connection). */
  status: number;
}

export interface FakeRerankServerOptions {
  /** When set, every route requires `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** TEI's `--max-client-batch-size` (default 32): larger requests get 422. */
  teiMaxBatchSize?: number;
  /**
   * TEI's model input limit, counted in words (the fake has no tokenizer): longer texts are cut to it when the request
   * says `truncate: true` and answered 413 otherwise, as TEI does. Default: no limit.
   */
  teiMaxInputWords?: number;
}

// Cohere's models, and the one docs/cohere-and-servers.md serves with vLLM (`vllm serve BAAI/bge-reranker-v2-m3`),
// so that example runs against this stand-in as written.
const COHERE_MODELS = new Set([
  "rerank-v4.0-pro",
  "rerank-v4.0-fast",
  "rerank-v3.5",
  "rerank-english-v3.0",
  "rerank-multilingual-v3.0",
  "BAAI/bge-reranker-v2-m3",
]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function terms(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** The share of the query's distinct terms present in the document, 0–1. */
export function overlapScore(query: string, document: string): number {
  const q = terms(query);
  if (q.size === 0) return 0;
  const d = terms(document);
  let hits = 0;
  for (const t of q) if (d.has(t)) hits++;
  return hits / q.size;
}

/** The logit a "raw scores" server reports for an overlap score, and the sigmoid it reports otherwise. */
export const rawScore = (overlap: number): number => 10 * overlap - 5;
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface Scored {
  index: number;
  score: number;
}

function rank(query: string, documents: readonly string[], score: (overlap: number) => number = (s) => s): Scored[] {
  return documents.map((text, index) => ({ index, score: score(overlapScore(query, text)) })).sort((a, b) => b.score - a.score || a.index - b.index);
}

type Body = Record<string, unknown>;

function checkFields(body: Body, allowed: readonly string[], describe: (field: string) => string): void {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw new HttpError(422, describe(key));
}

/** Optional integer field: absent or `null` means "not given"; otherwise an integer within bounds. */
function optionalInt(body: Body, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `invalid request: ${key} must be an integer between ${min} and ${max}`);
  }
  return value;
}

function requireQuery(body: Body, prefix: string): string {
  const query = body.query;
  if (typeof query !== "string") throw new HttpError(400, `${prefix}query must be a string`);
  if (query.trim() === "") throw new HttpError(400, `${prefix}query must not be empty`);
  return query;
}

function requireDocuments(body: Body, key: string, prefix: string, allowObjects: boolean): string[] {
  const documents = body[key];
  if (!Array.isArray(documents)) throw new HttpError(400, `${prefix}${key} must be a list`);
  if (documents.length === 0) throw new HttpError(400, `${prefix}list of ${key} must not be empty`);
  return documents.map((doc: unknown) => {
    if (typeof doc === "string") return doc;
    if (allowObjects && doc !== null && typeof doc === "object" && typeof (doc as { text?: unknown }).text === "string") {
      return (doc as { text: string }).text;
    }
    throw new HttpError(400, `${prefix}${key} must be strings`);
  });
}

function truncateWords(text: string, maxTokens: number | undefined): string {
  return maxTokens === undefined ? text : text.split(/\s+/).slice(0, maxTokens).join(" ");
}

interface Route {
  /** Builds the success body, or throws HttpError. */
  handle(body: Body): unknown;
  /** Error body in this server's own shape. */
  errorBody(status: number, message: string): unknown;
  /** Where the results array sits in the success body (for injected faults), and its score field. */
  results(body: unknown): Array<Record<string, unknown>>;
  scoreField: string;
}

function cohereRoute(version: 1 | 2): Route {
  const prefix = "invalid request: ";
  const allowed =
    version === 2
      ? ["model", "query", "documents", "top_n", "max_tokens_per_doc", "priority"]
      : ["model", "query", "documents", "top_n", "rank_fields", "return_documents", "max_chunks_per_doc"];
  return {
    scoreField: "relevance_score",
    results: (body) => (body as { results: Array<Record<string, unknown>> }).results,
    errorBody: (_status, message) => ({ id: randomUUID(), message }),
    handle(body) {
      checkFields(body, allowed, (key) => `${prefix}unknown field: parameter ${key} is not a valid field`);
      const model = body.model;
      if (version === 2 && (model === undefined || model === null)) throw new HttpError(400, `${prefix}model must be specified`);
      if (model !== undefined && model !== null && (typeof model !== "string" || !COHERE_MODELS.has(model))) {
        throw new HttpError(
          404,
          `model '${String(model)}' not found, make sure the correct model ID was used and that you have access to the model.`,
        );
      }
      const query = requireQuery(body, prefix);
      const documents = requireDocuments(body, "documents", prefix, version === 1);
      const topN = optionalInt(body, "top_n", 1);
      let maxTokens: number | undefined;
      let chunks = 1;
      if (version === 2) {
        maxTokens = optionalInt(body, "max_tokens_per_doc", 1);
        optionalInt(body, "priority", 0, 999);
      } else {
        chunks = optionalInt(body, "max_chunks_per_doc", 1) ?? 1;
        for (const key of ["return_documents", "rank_fields"]) {
          const value = body[key];
          if (value !== undefined && value !== null && typeof value !== (key === "return_documents" ? "boolean" : "object")) {
            throw new HttpError(400, `${prefix}${key} has the wrong type`);
          }
        }
      }
      if (documents.length * chunks > 10_000) throw new HttpError(400, `${prefix}too many documents: documents × chunks must be at most 10000`);
      const ranked = rank(
        query,
        documents.map((d) => truncateWords(d, maxTokens)),
      ).slice(0, topN ?? documents.length);
      return {
        id: randomUUID(),
        results: ranked.map(({ index, score }) => ({
          index,
          relevance_score: score,
          ...(version === 1 && body.return_documents === true ? { document: { text: documents[index] } } : {}),
        })),
        meta: { api_version: { version: String(version) }, billed_units: { search_units: Math.ceil(documents.length / 100) } },
      };
    },
  };
}

function teiRoute(maxBatch: number, maxInputWords?: number): Route {
  return {
    scoreField: "score",
    results: (body) => body as Array<Record<string, unknown>>,
    errorBody: (status, message) => ({ error: message, error_type: status === 429 ? "Overloaded" : "Validation" }),
    handle(body) {
      checkFields(body, ["query", "texts", "raw_scores", "return_text", "truncate", "truncation_direction"], (key) => `unknown field \`${key}\``);
      const query = requireQuery(body, "");
      const texts = requireDocuments(body, "texts", "", false);
      if (texts.length > maxBatch) throw new HttpError(422, `batch size ${texts.length} > maximum allowed batch size ${maxBatch}`);
      const raw = body.raw_scores === true;
      const tooLong = texts.some((t) => maxInputWords !== undefined && t.split(/\s+/).length > maxInputWords);
      if (tooLong && body.truncate !== true)
        throw new HttpError(413, `Input validation error: \`inputs\` must have less than ${maxInputWords} tokens. Given: more`);
      const seen = texts.map((t) => truncateWords(t, maxInputWords));
      return rank(query, seen, (s) => (raw ? rawScore(s) : sigmoid(rawScore(s)))).map(({ index, score }) => ({
        index,
        score,
        ...(body.return_text === true ? { text: texts[index] } : {}),
      }));
    },
  };
}

function infinityRoute(): Route {
  return {
    scoreField: "relevance_score",
    results: (body) => (body as { results: Array<Record<string, unknown>> }).results,
    errorBody: (status, message) => ({ error: { message, type: "ServerError", code: status } }),
    handle(body) {
      checkFields(
        body,
        ["query", "documents", "return_documents", "raw_scores", "model", "top_n"],
        (key) => `Extra inputs are not permitted: ${key}`,
      );
      const query = requireQuery(body, "");
      const documents = requireDocuments(body, "documents", "", false);
      if (documents.length > 2048) throw new HttpError(422, "documents: at most 2048 items");
      const topN = optionalInt(body, "top_n", 1);
      const raw = body.raw_scores === true;
      const ranked = rank(query, documents, (s) => (raw ? rawScore(s) : sigmoid(rawScore(s)))).slice(0, topN ?? documents.length);
      return {
        object: "rerank",
        results: ranked.map(({ index, score }) => ({
          relevance_score: score,
          index,
          ...(body.return_documents === true ? { document: documents[index] } : {}),
        })),
        model: typeof body.model === "string" ? body.model : "default",
        usage: { prompt_tokens: 0, total_tokens: 0 },
        id: `infinity-${randomUUID()}`,
        created: Math.floor(Date.now() / 1000),
      };
    },
  };
}

function voyageRoute(): Route {
  return {
    scoreField: "relevance_score",
    results: (body) => (body as { data: Array<Record<string, unknown>> }).data,
    errorBody: (_status, message) => ({ detail: message }),
    handle(body) {
      checkFields(body, ["query", "documents", "model", "top_k", "return_documents", "truncation"], (key) => `Unknown field: ${key}`);
      if (typeof body.model !== "string") throw new HttpError(400, "model is required");
      const query = requireQuery(body, "");
      const documents = requireDocuments(body, "documents", "", false);
      if (documents.length > 1000) throw new HttpError(400, "documents: at most 1000 items");
      const topK = optionalInt(body, "top_k", 1);
      const ranked = rank(query, documents).slice(0, topK ?? documents.length);
      return {
        object: "list",
        data: ranked.map(({ index, score }) => ({ index, relevance_score: score })),
        model: body.model,
        usage: { total_tokens: 0 },
      };
    },
  };
}

function faultName(fault: Fault): string {
  return "kind" in fault ? fault.kind : `status ${fault.status}${fault.retryAfter !== undefined ? ` retry-after ${fault.retryAfter}` : ""}`;
}

export class FakeRerankServer {
  readonly requests: RecordedRequest[] = [];
  /** Most requests seen in flight at once. */
  maxInFlight = 0;
  #inFlight = 0;
  readonly #faults: Fault[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #routes: Record<string, Route>;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: FakeRerankServerOptions,
  ) {
    this.#routes = {
      "/v1/rerank": cohereRoute(1),
      "/v2/rerank": cohereRoute(2),
      "/rerank": teiRoute(options.teiMaxBatchSize ?? 32, options.teiMaxInputWords),
      "/infinity/rerank": infinityRoute(),
      "/voyage/v1/rerank": voyageRoute(),
    };
  }

  static async start(options: FakeRerankServerOptions = {}, listenPort = 0): Promise<FakeRerankServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(listenPort, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeRerankServer(server, `http://127.0.0.1:${port}`, options);
    server.on("request", (req, res) => void fake.handle(req, res));
    return fake;
  }

  /** Queues faults; each is met by one request, in order, before requests are served normally again. */
  fail(...faults: Fault[]): void {
    this.#faults.push(...faults);
  }

  /** Requests to one path. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  reset(): void {
    this.requests.length = 0;
    this.#faults.length = 0;
    this.maxInFlight = 0;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        this.#inFlight--;
      }
    };
    res.on("close", finish);

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown;
    let parsed = true;
    try {
      body = JSON.parse(text);
    } catch {
      parsed = false;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const fault = this.#faults.shift();
    const record: RecordedRequest = { path, headers: req.headers, body, at, fault: fault && faultName(fault), status: 0 };
    this.requests.push(record);

    const route = this.#routes[path];
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    const error = (status: number, message: string, headers?: Record<string, string>) =>
      send(status, route ? route.errorBody(status, message) : { message }, headers);

    if (fault && "kind" in fault && fault.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault && "kind" in fault && fault.kind === "slow") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          resolve();
        }, fault.delayMs);
        this.#timers.add(timer);
      });
    }
    if (fault && "status" in fault) {
      return error(
        fault.status,
        fault.message ?? defaultMessage(fault.status),
        fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {},
      );
    }
    if (req.method !== "POST" || route === undefined) return error(404, `no route for ${req.method} ${path}`);
    if (this.options.apiKey !== undefined) {
      const auth = req.headers.authorization;
      if (auth === undefined) return error(401, "no api key supplied");
      if (auth !== `Bearer ${this.options.apiKey}`) return error(401, "invalid api token");
    }
    if (!parsed || body === null || typeof body !== "object" || Array.isArray(body)) return error(400, "invalid request: could not parse JSON body");

    let payload: unknown;
    try {
      payload = route.handle(body as Body);
    } catch (e) {
      if (e instanceof HttpError) return error(e.status, e.message);
      throw e;
    }
    if (fault && "kind" in fault) {
      const results = route.results(payload);
      const count = path === "/rerank" ? ((body as Body).texts as unknown[]).length : ((body as Body).documents as unknown[]).length;
      if (fault.kind === "malformed-json") return send(200, JSON.stringify(payload).slice(0, 25));
      if (fault.kind === "body") return send(200, JSON.stringify(fault.json));
      if (fault.kind === "slow-body" || fault.kind === "reset-mid-body") return this.sendInTwo(res, record, JSON.stringify(payload), fault);
      if (fault.kind === "huge-body") return this.sendHuge(res, record, fault.bytes);
      if (fault.kind === "index-out-of-range" && results[0]) results[0].index = count;
      if (fault.kind === "duplicate-index" && results[0] && results[1]) results[1].index = results[0].index;
      if (fault.kind === "missing-score" && results[0]) delete results[0][route.scoreField];
      if (fault.kind === "scores-as-logits") for (const r of results) r[route.scoreField] = rawScore(r[route.scoreField] as number);
    }
    send(200, payload);
  }

  private sendInTwo(
    res: ServerResponse,
    record: RecordedRequest,
    text: string,
    fault: { kind: "slow-body"; delayMs: number } | { kind: "reset-mid-body" },
  ): void {
    record.status = 200;
    const half = Math.floor(text.length / 2);
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
    res.write(text.slice(0, half));
    if (fault.kind === "reset-mid-body") {
      // Let the first half leave before the socket goes.
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        res.socket?.destroy();
      }, 20);
      this.#timers.add(timer);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!res.destroyed) res.end(text.slice(half));
    }, fault.delayMs);
    this.#timers.add(timer);
  }

  private sendHuge(res: ServerResponse, record: RecordedRequest, bytes: number): void {
    record.status = 200;
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(1 << 20, "a");
    let sent = 0;
    res.write('"');
    const pump = () => {
      while (sent < bytes && !res.destroyed) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
      }
      if (!res.destroyed) res.end('"');
    };
    res.on("close", () => (sent = bytes));
    pump();
  }
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401:
      return "invalid api token";
    case 429:
      return "You are using a Trial key, which is limited to 10 API calls / minute.";
    case 500:
      return "internal server error, this has been reported to our developers";
    case 503:
      return "service unavailable";
    default:
      return `error ${status}`;
  }
}

/**
 * Run as a script, it serves until killed, for the notebooks and examples (see scripts/run-notebooks.sh):
 *
 *   tsx scripts/fake_rerank_server.ts [--port N] [--url-file FILE]
 *
 * It prints its base URL (and writes it to FILE): Cohere at `${url}` (`/v2/rerank`), TEI at `${url}/rerank`.
 */
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "0" }, "url-file": { type: "string" } } });
  const server = await FakeRerankServer.start({}, Number(values.port));
  if (values["url-file"]) writeFileSync(values["url-file"], server.url);
  console.log(`fake rerank server (Cohere ${server.url}/v2/rerank, TEI ${server.url}/rerank) listening`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
