import { UnsupportedModelError } from "../../errors.js";
import type { LoadSpec } from "../loading/load_spec.js";
import { type LoadedModel, loadModel, type ModelConfig, type ModelKind, modelKey as kindKey } from "../loading/model_loader.js";
import { type PairTemplate, type PairTokenizer, pairTemplate } from "../runtime/pair_encoder.js";

// The cross-encoder's load: a sequence-classification model (never the text-classification pipeline: it has no
// text_pair and softmaxes one logit to 1.0), its pair template and its length limit.

/** The causal-LM reranker preset a model type most likely is, for the error that sends it to its class. */
const CAUSAL_FAMILY_OF: Record<string, string> = { qwen3: "qwen3-reranker", qwen2: "mxbai-rerank-v2", gemma: "bge-reranker-v2-gemma" };

function checkClassifierConfig(model: string, config: ModelConfig): void {
  const architectures = config.architectures ?? [];
  if (architectures.some((a) => a.endsWith("ForCausalLM"))) {
    const family = CAUSAL_FAMILY_OF[config.model_type ?? ""];
    throw new UnsupportedModelError(
      `"${model}" is a ${architectures.join("/")} (config.json "architectures"), a causal language model, not a sequence classifier. ` +
        "A causal-LM reranker (Qwen3-Reranker, mxbai-rerank-v2, bge-reranker-v2-gemma) runs in HuggingFaceCausalCrossEncoder " +
        `from langchain-rerank/huggingface: new HuggingFaceCausalCrossEncoder({ model: ${JSON.stringify(model)}, family: ` +
        `${JSON.stringify(family ?? "qwen3-reranker")} }), in CrossEncoderReranker as { model: thatScorer }.`,
    );
  }
  if (architectures.length > 0 && !architectures.some((a) => a.endsWith("ForSequenceClassification"))) {
    throw new UnsupportedModelError(
      `"${model}" is a ${architectures.join("/")} (config.json "architectures"), not a sequence-classification reranker: ` +
        "it has no relevance head. Use a cross-encoder such as Xenova/bge-reranker-base or Xenova/ms-marco-MiniLM-L-6-v2 " +
        "(an embedding model belongs in the first stage).",
    );
  }
}

/** A sequence-classification reranker: AutoModelForSequenceClassification, read at its `logits`. */
export const SEQUENCE_CLASSIFIER: ModelKind = {
  name: "sequence-classifier",
  modelClass: (transformers) => transformers.AutoModelForSequenceClassification,
  output: "logits",
  checkConfig: checkClassifierConfig,
  wrongOutput: (model, outputs) =>
    new UnsupportedModelError(`"${model}" outputs ${outputs.join(", ") || "nothing"}, not logits: it is not a sequence-classification reranker.`),
};

/** A loaded reranker, shared by every instance that asked for the same (model, dtype, device, revision). */
export interface LoadedReranker extends Omit<LoadedModel, "tokenizer"> {
  tokenizer: PairTokenizer;
  template: PairTemplate;
  /** Longest pair the model accepts: min(tokenizer limit, position embeddings); 512 where neither says. */
  maxLength: number;
}

function modelLimit(tokenizer: { model_max_length?: number }, config: ModelConfig): number {
  // No 512 cap here: ModernBERT rerankers read 8,192 tokens; the scorer's default length is what stays at 512.
  const limits: number[] = [];
  const fromTokenizer = tokenizer.model_max_length;
  if (typeof fromTokenizer === "number" && Number.isFinite(fromTokenizer) && fromTokenizer > 0 && fromTokenizer < 1e6) limits.push(fromTokenizer);
  if (typeof config.max_position_embeddings === "number") {
    // RoBERTa-family position ids start after the padding index, so 514 positions hold 512 tokens.
    const offset = ["roberta", "xlm-roberta", "camembert"].includes(config.model_type ?? "") ? 2 : 0;
    limits.push(config.max_position_embeddings - offset);
  }
  return limits.length === 0 ? 512 : Math.min(...limits);
}

/** Loads a reranker's tokenizer and model, and reads its pair template and length limit. */
export async function loadReranker(spec: LoadSpec): Promise<LoadedReranker> {
  const loaded = await loadModel(spec, SEQUENCE_CLASSIFIER);
  const tokenizer = loaded.tokenizer as unknown as PairTokenizer;
  return {
    ...loaded,
    tokenizer,
    template: pairTemplate(tokenizer, { typeVocabSize: loaded.config.type_vocab_size }),
    maxLength: modelLimit(loaded.tokenizer as unknown as { model_max_length?: number }, loaded.config),
  };
}

/** The registry key of a reranker load. */
export function modelKey(spec: LoadSpec): Promise<string> {
  return kindKey(spec, SEQUENCE_CLASSIFIER);
}
