import { basename } from "node:path";
import { InvalidOptionError, RerankError } from "../../errors.js";
import { hasRandomWeights } from "../random_weights.js";
import type { ScoreMode } from "../../scorers/cross_encoder.js";
import type { CompressorLike } from "../evaluate.js";

// Builds the compressors the CLI compares from `--reranker` specs. Each kind is imported lazily so that, e.g.,
// `--reranker none` never loads transformers.js. For evaluation every reranker keeps all candidates
// (topN = depth): the metrics need the whole reordered list, not the top 3 an application would keep.

export const RERANKER_KINDS = ["none", "cross-encoder", "cohere", "server"] as const;
export type RerankerKind = (typeof RERANKER_KINDS)[number];

export interface RerankerFactoryOptions {
  /** Candidates per query; every reranker keeps this many. */
  depth: number;
  /** Local cross-encoder: model id or folder (overridden by `cross-encoder:MODEL`). */
  model?: string;
  dtype?: string;
  device?: string;
  /** Local cross-encoder: most pairs per forward pass. */
  batchSize?: number;
  /** Local cross-encoder: onnxruntime session options (`--threads`, `--session-options`). */
  sessionOptions?: Record<string, unknown>;
  scoreMode?: ScoreMode;
  /** Cohere: model (overridden by `cohere:MODEL`). */
  cohereModel?: string;
  /** Cohere: base URL of a Cohere-compatible server. */
  cohereBaseUrl?: string;
  /** Rerank server: full endpoint URL (overridden by `server:URL`). */
  serverUrl?: string;
  /** Rerank server: request/response shape, `cohere` (default), `tei` or `voyage`. */
  serverDialect?: string;
  /** Rerank server: the `model` field sent, when the server wants one. */
  serverModel?: string;
  /** Rerank server: bearer token. */
  serverApiKey?: string;
}

export interface Reranker {
  /** The configuration's name in reports: the spec as given (`none`, `cross-encoder:minilm-proxy`), a server URL masked. */
  name: string;
  kind: RerankerKind;
  /** Null for `none`: the first stage alone. */
  compressor: CompressorLike | null;
  /** The CrossEncoder that scores, for a calibration's model identity (absent for `none` and `cohere`). */
  scorer?: { cacheKey?: string; modelName?: string; scoreMode?: ScoreMode };
  /** Said on stderr and in the reports' notes, e.g. that the model has random weights. */
  warning?: string;
  /** Loads models or checks the connection before timing starts. */
  prepare(): Promise<void>;
  dispose(): Promise<void>;
}

/** Splits `kind[:value]` (the value may itself hold colons, as a URL does). */
export function parseRerankerSpec(spec: string): { kind: RerankerKind; value?: string } {
  const at = spec.indexOf(":");
  const kind = (at < 0 ? spec : spec.slice(0, at)).trim();
  const value = at < 0 ? undefined : spec.slice(at + 1).trim();
  if (!(RERANKER_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidOptionError(`Unknown reranker ${shownSpec(spec)}: expected one of ${RERANKER_KINDS.join(", ")} (optionally kind:MODEL).`);
  }
  if (value === "") throw new InvalidOptionError(`Reranker ${shownSpec(spec)}: nothing after ":"; write ${kind} or ${kind}:MODEL.`);
  if (kind === "none" && value !== undefined) throw new InvalidOptionError(`Reranker ${shownSpec(spec)}: "none" takes no value.`);
  return { kind: kind as RerankerKind, ...(value !== undefined ? { value } : {}) };
}

/** A spec quoted in a message, any `user:password@` of a URL in it masked (a mistyped `server:` spec holds one). */
function shownSpec(spec: string): string {
  return JSON.stringify(spec.replace(/(\/\/)[^/?#@\s]*@/g, "$1***@"));
}

/** A hub id as is (`Xenova/bge-reranker-base`); a folder path by its last part, to keep tables narrow. */
function displayModel(model: string): string {
  return /^[\w.-]+(\/[\w.-]+)?$/.test(model) ? model : basename(model);
}

const noop = async (): Promise<void> => {};

export async function createReranker(spec: string, options: RerankerFactoryOptions): Promise<Reranker> {
  const { kind, value } = parseRerankerSpec(spec);
  const named = (model: string) => (value === undefined ? `${kind}:${displayModel(model)}` : spec.trim());
  switch (kind) {
    case "none":
      return { name: "none", kind, compressor: null, prepare: noop, dispose: noop };
    case "cross-encoder": {
      const model = value ?? options.model;
      if (model === undefined) throw new InvalidOptionError(`Reranker ${JSON.stringify(spec)}: give a model with --model or cross-encoder:MODEL.`);
      const [{ HuggingFaceCrossEncoder }, { CrossEncoderReranker }] = await Promise.all([
        import("../../local/cross_encoder/huggingface_cross_encoder.js"),
        import("../../compressors/cross_encoder_reranker.js"),
      ]);
      type Options = NonNullable<ConstructorParameters<typeof HuggingFaceCrossEncoder>[0]>;
      const encoder = new HuggingFaceCrossEncoder({
        model,
        ...(options.dtype !== undefined ? { dtype: options.dtype as Options["dtype"] } : {}),
        ...(options.device !== undefined ? { device: options.device as Options["device"] } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.scoreMode !== undefined ? { scoreMode: options.scoreMode } : {}),
        ...(options.sessionOptions !== undefined ? { sessionOptions: options.sessionOptions } : {}),
      });
      const compressor = new CrossEncoderReranker({ model: encoder, topN: options.depth });
      const name = named(model);
      return {
        name,
        kind,
        compressor,
        scorer: encoder,
        prepare: () => encoder.load(),
        dispose: () => encoder.dispose(),
        ...(hasRandomWeights(model)
          ? { warning: `${name} has RANDOM weights (a test fixture or benchmark proxy): its scores and metrics mean nothing about relevance.` }
          : {}),
      };
    }
    case "cohere": {
      // The CLI has no --api-key flag (a key on a command line ends up in shell history and process lists).
      if (!process.env.COHERE_API_KEY && !process.env.CO_API_KEY) {
        throw new InvalidOptionError(
          `Reranker ${shownSpec(spec)}: no Cohere API key. rerank-eval reads it from the environment: set COHERE_API_KEY (or CO_API_KEY). ` +
            "A Cohere-compatible server without authentication (--cohere-base-url) still needs a placeholder, e.g. COHERE_API_KEY=none.",
        );
      }
      const { CohereRerank } = await import("../../compressors/cohere_rerank.js");
      const compressor = new CohereRerank({
        topN: options.depth,
        ...((value ?? options.cohereModel) !== undefined ? { model: value ?? options.cohereModel } : {}),
        ...(options.cohereBaseUrl !== undefined ? { baseUrl: options.cohereBaseUrl } : {}),
      });
      return { name: named(compressor.model), kind, compressor, prepare: noop, dispose: noop };
    }
    case "server": {
      const url = value ?? options.serverUrl;
      if (url === undefined) throw new InvalidOptionError(`Reranker ${JSON.stringify(spec)}: give the endpoint with --server-url or server:URL.`);
      const [{ RerankServerCrossEncoder }, { CrossEncoderReranker }] = await Promise.all([
        import("../../scorers/rerank_server_cross_encoder.js"),
        import("../../compressors/cross_encoder_reranker.js"),
      ]);
      type Options = ConstructorParameters<typeof RerankServerCrossEncoder>[0];
      const encoder = new RerankServerCrossEncoder({
        url,
        ...(options.serverDialect !== undefined ? { dialect: options.serverDialect as Options["dialect"] } : {}),
        ...(options.serverModel !== undefined ? { model: options.serverModel } : {}),
        ...(options.serverApiKey !== undefined ? { apiKey: options.serverApiKey } : {}),
        ...(options.scoreMode !== undefined ? { scoreMode: options.scoreMode } : {}),
      });
      const compressor = new CrossEncoderReranker({ model: encoder, topN: options.depth });
      // One tiny request before timing starts: an unreachable server or a wrong path fails here, clearly.
      const prepare = async () => {
        try {
          await encoder.score([["rerank-eval connection check", "ok"]]);
        } catch (error) {
          throw withServerKeyHint(error);
        }
      };
      // Named by the scorer's masked url, not the spec as typed: reports, JSON and charts would show its credentials.
      const name = value === undefined ? `server:${encoder.dialect}` : `server:${encoder.url}`;
      return { name, kind, compressor, scorer: encoder, prepare, dispose: noop };
    }
  }
}

/** A 401 or 403 from a rerank server, with where rerank-eval took the key from: the environment, not `apiKey`. */
function withServerKeyHint(error: unknown): unknown {
  const status = (error as { status?: unknown } | null)?.status;
  if (!(error instanceof RerankError) || (status !== 401 && status !== 403)) return error;
  const where = process.env.RERANK_SERVER_API_KEY
    ? "rerank-eval sent the key in the RERANK_SERVER_API_KEY environment variable: check it."
    : "rerank-eval sends a key only from the RERANK_SERVER_API_KEY environment variable, which is not set.";
  error.message = `${error.message} ${where}`;
  return error;
}
