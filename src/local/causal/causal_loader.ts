import { InvalidOptionError, UnsupportedModelError } from "../../errors.js";
import { ANSWER_HEAD_KEY } from "./answer_head_keys.js";
import type { CausalRerankerTemplate } from "./causal_prompts.js";
import type { PromptTokenizer } from "./causal_encoder.js";
import type { LoadSpec } from "../loading/load_spec.js";
import { locateModel } from "../loading/model_files.js";
import { type LoadedModel, loadModel, type ModelConfig, type ModelKind, modelKey as kindKey } from "../loading/model_loader.js";

// The causal-LM reranker's load: AutoModelForCausalLM read at its `logits`, folders exported with a KV cache
// (past_key_values.* inputs, which transformers.js feeds empty on a first pass) or without one. By default the graph
// loaded is its answer-head conversion (answer_head_graph.ts: `logits` [batch, answer tokens] at the last position),
// converted on the first load in Node and cached; when that fails, the full graph ([batch, sequence, vocabulary]
// logits, the scorer reads the last position) with the reason recorded.

const OWNER = "HuggingFaceCausalCrossEncoder";

/** A causal language model: AutoModelForCausalLM, read at its `logits`. */
export const CAUSAL_LM: ModelKind = {
  name: "causal-lm",
  modelClass: (transformers) => transformers.AutoModelForCausalLM,
  output: "logits",
  checkConfig(model: string, config: ModelConfig) {
    const architectures = config.architectures ?? [];
    if (architectures.length > 0 && !architectures.some((a) => a.endsWith("ForCausalLM"))) {
      throw new UnsupportedModelError(
        `"${model}" is a ${architectures.join("/")} (config.json "architectures"), not a causal language model: ` +
          "HuggingFaceCausalCrossEncoder runs causal-LM rerankers such as Qwen/Qwen3-Reranker-0.6B; a sequence classifier " +
          "(BGE, MiniLM, ModernBERT) belongs in HuggingFaceCrossEncoder.",
      );
    }
  },
  wrongOutput: (model, outputs) =>
    new UnsupportedModelError(`"${model}" outputs ${outputs.join(", ") || "nothing"}, not logits: it is not a causal language model.`),
};

/**
 * Which graph scores: the answer-head conversion (`logits` holds the answer tokens' logits at the last position, in
 * `tokens` order; `folder` is the converted copy loaded) or the full graph, with the reason the conversion was not used.
 */
export type AnswerHeadStatus = { converted: true; tokens: number[]; folder: string } | { converted: false; reason: string };

/** A loaded causal LM with what the scorer needs from its tokenizer and config. */
export interface LoadedCausalLm extends Omit<LoadedModel, "tokenizer"> {
  tokenizer: PromptTokenizer & { pad_token_id?: number | null; eos_token_id?: number | null };
  /** Longest prompt the model's positions hold. */
  maxPositions: number;
  answerHead: AnswerHeadStatus;
}

/** How the causal LM's graph is chosen. */
export interface CausalLoadOptions {
  template: CausalRerankerTemplate;
  /** Load the answer-head conversion (made on first load in Node) rather than the full graph. */
  convertGraph: boolean;
  /** Where converted graphs are kept; default `<cacheDir>/langchain-rerank-answer-head`. */
  convertedGraphDir: string | undefined;
}

export async function loadCausalLm(spec: LoadSpec, options: CausalLoadOptions): Promise<LoadedCausalLm> {
  // transformers.js also reads a causal LM's optional generation_config.json, and for a folder without one it tries
  // the hub under the folder's path and fails: a folder is read from disk only.
  const location = await locateModel(spec);
  const plain = location.local ? { ...spec, localFilesOnly: true } : spec;
  let reason = "convertGraph is false";
  if (options.convertGraph) {
    let folder: string | undefined;
    const files = await import("./answer_head_files.js");
    try {
      folder = await files.prepareAnswerHead(spec, location, {
        owner: OWNER,
        cacheRoot: options.convertedGraphDir,
        answer: [options.template.positiveToken, options.template.negativeToken],
        tokensOf: (tokenizer) => answerTokens(targetTokenIds(spec.model, tokenizer as PromptTokenizer, options.template)),
      });
    } catch (error) {
      reason = `conversion failed: ${(error as Error)?.message ?? String(error)}`;
    }
    if (folder !== undefined) {
      try {
        return finish(await loadModel({ ...spec, model: folder, localFilesOnly: true }, CAUSAL_LM, OWNER), folder);
      } catch (error) {
        reason = `the converted graph in ${folder} failed to load (removed, so the next load converts again): ${(error as Error)?.message ?? String(error)}`;
        files.discardAnswerHead(folder);
      }
    } else if (!reason.startsWith("conversion failed")) {
      reason = ""; // the folder itself is converted: its config says so
    }
  }
  return finish(await loadModel(plain, CAUSAL_LM, OWNER), location.id, reason);
}

function finish(loaded: LoadedModel, folder: string, reason = ""): LoadedCausalLm {
  const positions = loaded.config.max_position_embeddings;
  const record = loaded.config[ANSWER_HEAD_KEY] as { tokens?: unknown } | undefined;
  const tokens = Array.isArray(record?.tokens) ? (record.tokens as number[]) : undefined;
  return {
    ...loaded,
    tokenizer: loaded.tokenizer as unknown as LoadedCausalLm["tokenizer"],
    maxPositions: typeof positions === "number" && positions > 0 ? positions : Number.POSITIVE_INFINITY,
    answerHead: tokens !== undefined ? { converted: true, tokens, folder } : { converted: false, reason: reason || "the graph is not converted" },
  };
}

/** The answer tokens in the converted graph's column order: positive, then negative where the family has one. */
export function answerTokens({ positive, negative }: { positive: number; negative?: number }): number[] {
  return negative === undefined ? [positive] : [positive, negative];
}

/** Loads are shared per model and per graph: the converted graph depends on the answer tokens. */
export async function causalModelKey(spec: LoadSpec, options: CausalLoadOptions): Promise<string> {
  const { positiveToken, negativeToken } = options.template;
  const graph = options.convertGraph
    ? `answer-head:${JSON.stringify([positiveToken, negativeToken ?? null, options.convertedGraphDir ?? null])}`
    : "full";
  return `${await kindKey(spec, CAUSAL_LM)}:${graph}`;
}

/** The token ids whose logits make the score, read from the tokenizer: each target must be exactly one token. */
export function targetTokenIds(model: string, tokenizer: PromptTokenizer, template: CausalRerankerTemplate): { positive: number; negative?: number } {
  const one = (field: "positiveToken" | "negativeToken", token: string): number => {
    const ids = tokenizer.encode(token, { add_special_tokens: false });
    if (ids.length !== 1) {
      throw new InvalidOptionError(
        `${OWNER}: "${model}"'s tokenizer has no single token for ${field} ${JSON.stringify(token)} (it encodes to ${ids.length} tokens: ` +
          `${JSON.stringify(ids)}). The template's answer tokens must be tokens of this model's vocabulary: check the model or the template.`,
      );
    }
    return ids[0]!;
  };
  const positive = one("positiveToken", template.positiveToken);
  return template.negativeToken === undefined ? { positive } : { positive, negative: one("negativeToken", template.negativeToken) };
}
