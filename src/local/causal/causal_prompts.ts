import { InvalidOptionError } from "../../errors.js";

/**
 * How a causal-LM reranker reads a (query, document) pair: its prompt, and which next-token logits make the score.
 * The prompt is a list of parts, each tokenized alone and joined as token ids, as the reference implementations
 * do (the Qwen3-Reranker card tokenizes its prefix, body and suffix separately; mxbai and FlagEmbedding their
 * query, separator, document and prompt). Tokenizing parts apart is not the same as tokenizing their joined text:
 * a byte-level BPE merges a space into the word after it. So a part boundary must sit where the reference puts one.
 */
export interface CausalRerankerTemplate {
  /**
   * The prompt's parts in order: fixed text, exactly one part holding `{query}` and one after it holding
   * `{document}`. `{instruction}` may appear in any part. Only the document's part is ever cut.
   */
  parts: readonly string[];
  /** Text put before the query part's text when an instruction is given and no part holds `{instruction}` (mxbai). */
  queryInstruction?: string;
  /** Prepend the tokenizer's BOS token (FlagEmbedding does for Gemma). @default false */
  bos?: boolean;
  /** The next token whose logit means "relevant" ("yes"); it must be one token of the tokenizer. */
  positiveToken: string;
  /**
   * The token whose logit is subtracted ("no"): the raw score is then the log-odds of positive over negative, and
   * `sigmoid` gives the softmax probability of the positive one over the two. Without it, the raw score is the
   * positive token's logit alone (bge-reranker-v2-gemma).
   */
  negativeToken?: string;
  /** The instruction used when none is given. */
  defaultInstruction?: string;
}

/** A known causal-LM reranker family. */
export type CausalRerankerFamily = "qwen3-reranker" | "mxbai-rerank-v2" | "bge-reranker-v2-gemma";

const QWEN3_SYSTEM =
  'Judge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".';

/** The families' prompts, from their own sources (docs/choosing-a-reranker.md links each). */
export const CAUSAL_TEMPLATES: Readonly<Record<CausalRerankerFamily, CausalRerankerTemplate>> = {
  // Qwen3-Reranker model card: prefix, "<Instruct>: …\n<Query>: …\n<Document>: …" (one body), suffix. The body's
  // query and document halves meet at "\n<Document>", a boundary the Qwen2 pre-tokenizer splits at anyway.
  "qwen3-reranker": {
    parts: [
      `<|im_start|>system\n${QWEN3_SYSTEM}<|im_end|>\n<|im_start|>user\n`,
      "<Instruct>: {instruction}\n<Query>: {query}\n",
      "<Document>: {document}",
      "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    ],
    positiveToken: "yes",
    negativeToken: "no",
    defaultInstruction: "Given a web search query, retrieve relevant passages that answer the query",
  },
  // mixedbread-ai/mxbai-rerank mxbai_rerank_v2.py: chat prefix, query, "\n", document, "\n", task prompt, suffix.
  "mxbai-rerank-v2": {
    parts: [
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n",
      "query: {query}",
      "\n",
      "document: {document}",
      "\n",
      "You are a search relevance expert who evaluates how well documents match search queries. For each query-document pair, carefully analyze the semantic relationship between them, then provide your binary relevance judgment (0 for not relevant, 1 for relevant).\nRelevance:",
      "<|im_end|>\n<|im_start|>assistant\n",
    ],
    queryInstruction: "instruction: {instruction}\n",
    positiveToken: "1",
    negativeToken: "0",
  },
  // FlagEmbedding decoder_only/base.py: BOS, "A: " + query, "\n", "B: " + passage, "\n", prompt; the "Yes" logit.
  "bge-reranker-v2-gemma": {
    parts: [
      "A: {query}",
      "\n",
      "B: {document}",
      "\n",
      "Given a query A and a passage B, determine whether the passage contains an answer to the query by providing a prediction of either 'Yes' or 'No'.",
    ],
    bos: true,
    positiveToken: "Yes",
  },
};

/** Hub ids with a known family: `model` alone picks the prompt and target tokens. */
export const CAUSAL_PRESETS: Readonly<Record<string, CausalRerankerFamily>> = {
  "Qwen/Qwen3-Reranker-0.6B": "qwen3-reranker",
  "Qwen/Qwen3-Reranker-4B": "qwen3-reranker",
  "Qwen/Qwen3-Reranker-8B": "qwen3-reranker",
  "onnx-community/Qwen3-Reranker-0.6B-ONNX": "qwen3-reranker",
  "mixedbread-ai/mxbai-rerank-base-v2": "mxbai-rerank-v2",
  "mixedbread-ai/mxbai-rerank-large-v2": "mxbai-rerank-v2",
  "BAAI/bge-reranker-v2-gemma": "bge-reranker-v2-gemma",
};

/** The template for a model: the given family or template, else the preset of its hub id. */
export function resolveTemplate(
  owner: string,
  model: string,
  family: CausalRerankerFamily | undefined,
  template: CausalRerankerTemplate | undefined,
): CausalRerankerTemplate {
  if (template !== undefined && family !== undefined) {
    throw new InvalidOptionError(`${owner}: give \`family\` or \`template\`, not both.`);
  }
  if (template !== undefined) return checkTemplate(owner, template);
  const chosen = family ?? CAUSAL_PRESETS[model];
  if (chosen === undefined) {
    throw new InvalidOptionError(
      `${owner}: "${model}" is not a known causal-LM reranker, so its prompt is unknown. Pass family ` +
        `(${Object.keys(CAUSAL_TEMPLATES).join(", ")}) for a copy or export of a known model, or template ` +
        "({ parts, positiveToken, negativeToken? }) for another one.",
    );
  }
  return CAUSAL_TEMPLATES[chosen];
}

function checkTemplate(owner: string, template: CausalRerankerTemplate): CausalRerankerTemplate {
  const fail = (problem: string) =>
    new InvalidOptionError(
      `${owner}: template ${problem}. A template is { parts: ["fixed text", "…{query}…", "…{document}…", "fixed text"], positiveToken: "yes", negativeToken?: "no" }.`,
    );
  if (typeof template !== "object" || template === null) throw fail("must be an object");
  const { parts } = template;
  if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p) => typeof p === "string")) throw fail("needs parts: an array of strings");
  const queryParts = parts.flatMap((p, i) => (p.includes("{query}") ? [i] : []));
  const documentParts = parts.flatMap((p, i) => (p.includes("{document}") ? [i] : []));
  if (queryParts.length !== 1 || documentParts.length !== 1) throw fail("needs exactly one part holding {query} and one holding {document}");
  if (queryParts[0]! >= documentParts[0]!) throw fail("must hold {query} in a part before the {document} part");
  if (parts.some((p) => p.split("{query}").length > 2 || p.split("{document}").length > 2)) throw fail("holds {query} or {document} twice");
  for (const field of ["positiveToken", "negativeToken", "queryInstruction", "defaultInstruction"] as const) {
    const value = template[field];
    if (value !== undefined && (typeof value !== "string" || value.length === 0)) throw fail(`${field} must be a non-empty string`);
  }
  if (template.positiveToken === undefined) throw fail("needs positiveToken");
  if (template.bos !== undefined && typeof template.bos !== "boolean") throw fail("bos must be a boolean");
  return { ...template, parts: [...parts] };
}
