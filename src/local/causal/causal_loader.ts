import { InvalidOptionError, UnsupportedModelError } from "../../errors.js";
import type { CausalRerankerTemplate } from "./causal_prompts.js";
import type { PromptTokenizer } from "./causal_encoder.js";
import type { LoadSpec } from "../loading/load_spec.js";
import { locateModel } from "../loading/model_files.js";
import { type LoadedModel, loadModel, type ModelConfig, type ModelKind, modelKey as kindKey } from "../loading/model_loader.js";

// The causal-LM reranker's load: AutoModelForCausalLM read at its `logits` (every position's next-token logits;
// the scorer reads the last), folders exported with a KV cache (past_key_values.* inputs, which transformers.js
// feeds empty on a first pass) or without one.

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

/** A loaded causal LM with what the scorer needs from its tokenizer and config. */
export interface LoadedCausalLm extends Omit<LoadedModel, "tokenizer"> {
  tokenizer: PromptTokenizer & { pad_token_id?: number | null; eos_token_id?: number | null };
  /** Longest prompt the model's positions hold. */
  maxPositions: number;
}

export async function loadCausalLm(spec: LoadSpec): Promise<LoadedCausalLm> {
  // transformers.js also reads a causal LM's optional generation_config.json, and for a folder without one it tries
  // the hub under the folder's path and fails: a folder is read from disk only.
  const { local } = await locateModel(spec);
  const loaded = await loadModel(local ? { ...spec, localFilesOnly: true } : spec, CAUSAL_LM, OWNER);
  const positions = loaded.config.max_position_embeddings;
  return {
    ...loaded,
    tokenizer: loaded.tokenizer as unknown as LoadedCausalLm["tokenizer"],
    maxPositions: typeof positions === "number" && positions > 0 ? positions : Number.POSITIVE_INFINITY,
  };
}

export function causalModelKey(spec: LoadSpec): Promise<string> {
  return kindKey(spec, CAUSAL_LM);
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
