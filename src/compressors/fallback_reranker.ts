import type { Callbacks } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";
import { InvalidOptionError } from "../errors.js";
import { checkFunction, checkPositiveInteger, checkSignal, checkString } from "../options.js";
import { checkRerankInput } from "../rerank_input.js";
import {
  type CompressorCallOptions,
  callCompressor,
  callSignal,
  checkCompressor,
  checkCompressorOutput,
  keptRetrievalRank,
  loadDocumentClass,
} from "./compressor_plumbing.js";
import { DEFAULT_RANK_KEY } from "./ranked_documents.js";
import { traceCompressorRun } from "./tracing.js";

/** A reranker with the name the metadata and the trace give it. */
export interface NamedReranker {
  reranker: BaseDocumentCompressor;
  name: string;
}

export interface FallbackRerankerArgs {
  /** Tried in this order. A bare compressor is named by its class (`CohereRerank`), with `#2`… when classes repeat. */
  rerankers: Array<BaseDocumentCompressor | NamedReranker>;
  /** Time allowed to each reranker per call, in milliseconds; then its signal is aborted and the next one runs. @default 10000 */
  timeout?: number;
  /** Documents to keep, best first (also the cut of the first-stage order when every reranker fails). @default 3 */
  topN?: number;
  /** Consecutive failures after which a reranker is skipped for `cooldownMs`. @default 3 */
  failureThreshold?: number;
  /** How long an open circuit skips its reranker; then one call tries it again. @default 30000 */
  cooldownMs?: number;
  /** The circuit breaker's clock, in milliseconds (inject one in tests). @default Date.now */
  now?: () => number;
  /** Metadata key naming who served: a reranker's name, or `first-stage`. @default "rerankedBy" */
  servedByKey?: string;
  /** Metadata key of the 1-based first-stage rank, written when the first-stage order is served. @default "retrievalRank" */
  rankKey?: string;
  /** Aborts every call of this instance (`ContextualCompressionRetriever` passes no signal of its own). @default undefined */
  signal?: AbortSignal;
}

/** One reranker's part in a call, as recorded in the trace's outputs. */
export interface FallbackAttempt {
  reranker: string;
  outcome: "served" | "error" | "timeout" | "skipped";
  /** Why it failed or was skipped. */
  reason?: string;
  /** Time spent, in milliseconds (0 when skipped). */
  ms: number;
}

/** A reranker's circuit: `open` skips it until `openUntil`; `half-open` lets the next call try it once. */
export interface CircuitState {
  state: "closed" | "open" | "half-open";
  consecutiveFailures: number;
  /** Clock time (from `now`) until which an open circuit skips the reranker. */
  openUntil?: number;
}

/** The name of the first stage in `rerankedBy`. */
export const FIRST_STAGE = "first-stage";
const OWNER = "FallbackReranker";

interface Circuit {
  consecutiveFailures: number;
  openUntil: number | undefined;
  /** A half-open circuit's one trial call is running: concurrent calls skip the reranker until it settles. */
  trialRunning: boolean;
}

/** The longest delay `setTimeout` honours; a longer one fires at once (after 1 ms), which would time out every reranker. */
const MAX_TIMEOUT_MS = 2_147_483_647;

function isNamed(entry: unknown): entry is NamedReranker {
  return entry !== null && typeof entry === "object" && "reranker" in entry && !("compressDocuments" in entry);
}

/** The first line of an error's message, without anything that looks like a bearer token. */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return (text.split("\n")[0] ?? "").replace(/Bearer\s+\S+/gi, "Bearer ***");
}

/**
 * Reranks with the first reranker that answers: each is tried in turn, and a failure or a timeout (`timeout`,
 * enforced by aborting the signal handed to the reranker) moves to the next. When all fail, the first stage's order
 * is returned, cut to `topN`: a reranker's failure never fails the retrieval. Errors in this compressor's own
 * arguments (not an array, an empty query) and the caller's own abort still throw.
 *
 * `metadata.rerankedBy` names who served (a reranker or `first-stage`); the traced run's outputs list every attempt
 * and why it failed. A circuit breaker skips a reranker for `cooldownMs` after `failureThreshold` consecutive failures,
 * then lets one call try it again (success closes the circuit, failure reopens it).
 *
 * Timeouts: `compressDocuments` has no signal parameter, so each reranker is called with a fourth argument
 * `{ signal }`. This package's compressors (and `FallbackReranker`, `MultiFactorReranker`) stop their work on it;
 * others (LangChain's own, `@langchain/cohere`) ignore it, so their late answer is abandoned (and discarded) instead.
 *
 * @example
 * ```ts
 * import { Document } from "@langchain/core/documents";
 * import { CrossEncoderReranker, FallbackReranker, type TextPair } from "langchain-rerank";
 *
 * // In production the first would be CohereRerank or a rerank server, the second a local model. Here the first is
 * // down, so the second serves, and `metadata.rerankedBy` says so.
 * const down = { score: async (): Promise<number[]> => Promise.reject(new Error("connection refused")) };
 * const local = { score: async (pairs: readonly TextPair[]) => pairs.map(([, text]) => text.length) };
 * const reranker = new FallbackReranker({
 *   rerankers: [{ reranker: new CrossEncoderReranker({ model: down }), name: "server" }, { reranker: new CrossEncoderReranker({ model: local }), name: "local" }],
 *   timeout: 800,
 *   topN: 2,
 * });
 * const docs = ["a", "a longer one", "the longest document"].map((text) => new Document({ pageContent: text }));
 * const top = await reranker.compressDocuments(docs, "which is longest?");
 * console.log(top.map((doc) => [doc.pageContent, doc.metadata.rerankedBy]));
 * // [ [ 'the longest document', 'local' ], [ 'a longer one', 'local' ] ]
 * ```
 */
export class FallbackReranker extends BaseDocumentCompressor {
  readonly rerankers: readonly NamedReranker[];
  readonly timeout: number;
  readonly topN: number;
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly servedByKey: string;
  readonly rankKey: string;
  readonly #now: () => number;
  readonly #signal: AbortSignal | undefined;
  readonly #circuits: Circuit[];

  constructor(fields: FallbackRerankerArgs) {
    super();
    if (fields === null || typeof fields !== "object") {
      throw new InvalidOptionError(`${OWNER}: pass an options object such as { rerankers: [remote, local], timeout: 800 }.`);
    }
    if (!Array.isArray(fields.rerankers) || fields.rerankers.length === 0) {
      throw new InvalidOptionError(`${OWNER}: \`rerankers\` must be a non-empty array of document compressors (or { reranker, name }).`);
    }
    const entries = fields.rerankers.map((entry, i): NamedReranker => {
      if (isNamed(entry)) {
        const reranker = checkCompressor(OWNER, `rerankers[${i}].reranker`, entry.reranker);
        return { reranker, name: checkString(OWNER, `rerankers[${i}].name`, entry.name) ?? reranker.constructor.name };
      }
      return { reranker: checkCompressor(OWNER, `rerankers[${i}]`, entry, " or { reranker, name }"), name: "" };
    });
    // Unnamed entries take their class name; repeated names get #position so metadata and traces stay unambiguous.
    const classNames = entries.map((e) => e.name || e.reranker.constructor.name || "reranker");
    this.rerankers = entries.map((e, i) => {
      const name = classNames[i] as string;
      const repeated = classNames.filter((n) => n === name).length > 1;
      if (repeated && e.name !== "") throw new InvalidOptionError(`${OWNER}: two rerankers are named "${name}"; names must be unique.`);
      if (name === FIRST_STAGE)
        throw new InvalidOptionError(`${OWNER}: "${FIRST_STAGE}" is reserved for the first stage's order; rename the reranker.`);
      return { reranker: e.reranker, name: repeated ? `${name}#${i + 1}` : name };
    });
    this.timeout = checkPositiveInteger(OWNER, "timeout", fields.timeout) ?? 10_000;
    if (this.timeout > MAX_TIMEOUT_MS) {
      throw new InvalidOptionError(
        `${OWNER}: \`timeout\` must be at most ${MAX_TIMEOUT_MS} (about 24.8 days, the longest timer JavaScript runs), got ${this.timeout}.`,
      );
    }
    this.topN = checkPositiveInteger(OWNER, "topN", fields.topN) ?? 3;
    this.failureThreshold = checkPositiveInteger(OWNER, "failureThreshold", fields.failureThreshold) ?? 3;
    this.cooldownMs = checkPositiveInteger(OWNER, "cooldownMs", fields.cooldownMs) ?? 30_000;
    this.#now = checkFunction<() => number>(OWNER, "now", fields.now) ?? Date.now;
    this.servedByKey = checkString(OWNER, "servedByKey", fields.servedByKey) ?? "rerankedBy";
    this.rankKey = checkString(OWNER, "rankKey", fields.rankKey) ?? DEFAULT_RANK_KEY;
    if (this.servedByKey === this.rankKey) {
      throw new InvalidOptionError(
        `${OWNER}: \`servedByKey\` and \`rankKey\` are both ${JSON.stringify(this.rankKey)}; the reranker's name would overwrite the first-stage rank. Use two keys.`,
      );
    }
    this.#signal = checkSignal(OWNER, fields.signal);
    this.#circuits = this.rerankers.map(() => ({ consecutiveFailures: 0, openUntil: undefined, trialRunning: false }));
  }

  /** The circuit of a reranker, by name or position. */
  circuit(reranker: string | number): CircuitState {
    const index = typeof reranker === "number" ? reranker : this.rerankers.findIndex((r) => r.name === reranker);
    const circuit = this.#circuits[index];
    if (circuit === undefined)
      throw new InvalidOptionError(`${OWNER}: no reranker ${JSON.stringify(reranker)}; names: ${this.rerankers.map((r) => r.name).join(", ")}.`);
    const { consecutiveFailures, openUntil } = circuit;
    if (openUntil === undefined) return { state: "closed", consecutiveFailures };
    return { state: this.#now() < openUntil ? "open" : "half-open", consecutiveFailures, openUntil };
  }

  override async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    callbacks?: Callbacks,
    options: CompressorCallOptions = {},
  ): Promise<DocumentInterface[]> {
    // Checked here, before any reranker runs: the caller's bad input is not a reranker's failure and must not open a circuit.
    checkRerankInput(OWNER, documents, query);
    const outer = callSignal(OWNER, this.#signal, options);
    if (documents.length === 0) return [];
    return traceCompressorRun(
      OWNER,
      callbacks,
      { query, documents: documents.length, topN: this.topN, rerankers: this.rerankers.map((r) => r.name) },
      async (runManager) => {
        const attempts: FallbackAttempt[] = [];
        const Document = await loadDocumentClass();
        // Each reranker gets its own copies: one that writes into its input (as @langchain/cohere does) can neither
        // change the caller's documents nor the next reranker's.
        const copies = () =>
          documents.map(
            (d) => new Document({ pageContent: d.pageContent, metadata: { ...d.metadata }, ...(d.id !== undefined ? { id: d.id } : {}) }),
          );
        const tag = (docs: readonly DocumentInterface[], servedBy: string, firstStage: boolean) =>
          docs.slice(0, this.topN).map(
            (d, i) =>
              new Document({
                pageContent: d.pageContent,
                metadata: {
                  ...d.metadata,
                  ...(firstStage ? { [this.rankKey]: keptRetrievalRank(d.metadata?.[this.rankKey], i) } : {}),
                  [this.servedByKey]: servedBy,
                },
                ...(d.id !== undefined ? { id: d.id } : {}),
              }),
          );
        for (const [i, { reranker, name }] of this.rerankers.entries()) {
          outer?.throwIfAborted();
          const circuit = this.#circuits[i] as Circuit;
          const now = this.#now();
          if (circuit.openUntil !== undefined && now < circuit.openUntil) {
            attempts.push({
              reranker: name,
              outcome: "skipped",
              reason: `circuit open for ${circuit.openUntil - now} ms more, after ${circuit.consecutiveFailures} consecutive failures`,
              ms: 0,
            });
            continue;
          }
          // Half-open: one call tries the reranker; calls arriving meanwhile skip it rather than all hitting a service
          // that was failing a moment ago.
          const trial = circuit.openUntil !== undefined;
          if (trial && circuit.trialRunning) {
            attempts.push({ reranker: name, outcome: "skipped", reason: "circuit half-open: another call is trying it", ms: 0 });
            continue;
          }
          // Copied outside the try: a document that cannot be copied (a metadata getter that throws) is the caller's
          // error, thrown as is, never a failure of the reranker that would count towards opening its circuit.
          const input = copies();
          if (trial) circuit.trialRunning = true;
          const started = performance.now();
          try {
            const output = await this.#attempt(reranker, name, input, query, runManager?.getChild(name), outer);
            circuit.consecutiveFailures = 0;
            circuit.openUntil = undefined;
            attempts.push({ reranker: name, outcome: "served", ms: performance.now() - started });
            return { documents: tag(output, name, false), attempts, servedBy: name };
          } catch (error) {
            // The caller's own abort is not the reranker's failure: it ends the call.
            if (outer?.aborted) throw outer.reason;
            const timedOut = error instanceof DOMException && error.name === "TimeoutError";
            attempts.push({ reranker: name, outcome: timedOut ? "timeout" : "error", reason: reasonOf(error), ms: performance.now() - started });
            circuit.consecutiveFailures += 1;
            if (circuit.consecutiveFailures >= this.failureThreshold) circuit.openUntil = this.#now() + this.cooldownMs;
          } finally {
            if (trial) circuit.trialRunning = false;
          }
        }
        return { documents: tag(documents, FIRST_STAGE, true), attempts, servedBy: FIRST_STAGE };
      },
      ({ attempts, servedBy }) => ({ servedBy, attempts }),
    ).then(({ documents: served }) => served);
  }

  /** One reranker under its time limit: its signal is aborted at the limit, and the wait ends then even if it ignores it. */
  async #attempt(
    reranker: BaseDocumentCompressor,
    name: string,
    documents: DocumentInterface[],
    query: string,
    callbacks: Callbacks | undefined,
    outer: AbortSignal | undefined,
  ): Promise<DocumentInterface[]> {
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", onOuterAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(new DOMException(`${name} did not answer within ${this.timeout} ms`, "TimeoutError")),
      this.timeout,
    );
    try {
      const output = await callCompressor(reranker, documents, query, callbacks, controller.signal);
      checkCompressorOutput(name, output);
      return output;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    }
  }
}
