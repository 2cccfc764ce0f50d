// The independent reference the parity tests hold src/ to. It shares none of src/'s tokenization, truncation,
// prompt or score code: Hugging Face's Rust `tokenizers` (the implementation Python's transformers and
// sentence-transformers use), a plain onnxruntime-node session, and each family's formula written anew from its
// own source. It scores one pair at a time (no padding), the simplest reading of each source.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { type Encoding, Tokenizer } from "tokenizers";

export interface ReferenceModel {
  tokenizer: Tokenizer;
  session: InferenceSession;
  config: { max_position_embeddings?: number; num_key_value_heads?: number; head_dim?: number; num_hidden_layers?: number };
}

export async function loadReference(folder: string, onnxFile = "model.onnx"): Promise<ReferenceModel> {
  return {
    tokenizer: Tokenizer.fromFile(join(folder, "tokenizer.json")),
    session: await InferenceSession.create(join(folder, "onnx", onnxFile)),
    config: JSON.parse(readFileSync(join(folder, "config.json"), "utf8")) as ReferenceModel["config"],
  };
}

const int64 = (values: readonly number[]) => new Tensor("int64", BigInt64Array.from(values, BigInt), [1, values.length]);

/** Raw token ids of a text, no special tokens (Python: `tokenizer(text, add_special_tokens=False)`). */
export async function ids(tokenizer: Tokenizer, text: string): Promise<number[]> {
  return (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
}

async function raw(tokenizer: Tokenizer, text: string): Promise<Encoding> {
  return tokenizer.encode(text, null, { addSpecialTokens: false });
}

/** A classifier's one logit on a single encoded pair; token_type_ids only where the graph takes them. */
async function classifierLogit(model: ReferenceModel, encoding: Encoding): Promise<number> {
  const inputIds = encoding.getIds();
  const feeds: Record<string, Tensor> = { input_ids: int64(inputIds), attention_mask: int64(inputIds.map(() => 1)) };
  if (model.session.inputNames.includes("token_type_ids")) feeds.token_type_ids = int64(encoding.getTypeIds());
  const { logits } = await model.session.run(feeds);
  return (logits!.data as Float32Array)[0]!;
}

/**
 * sentence-transformers `CrossEncoder.predict` on a pair that fits the window: the tokenizer's own pair encoding
 * (`tokenizer(query, document)`, its post-processor adding the special tokens and type ids), one logit, no
 * activation (`activation_fn` Identity: the raw logit, compared before any sigmoid).
 */
export async function crossEncoderPredict(model: ReferenceModel, query: string, document: string): Promise<number> {
  return classifierLogit(model, await model.tokenizer.encode(query, document));
}

/** The pair's length as `CrossEncoder.predict` encodes it: the test keeps the pairs that fit the window for it. */
export async function pairLength(model: ReferenceModel, query: string, document: string): Promise<number> {
  return (await model.tokenizer.encode(query, document)).getLength();
}

/**
 * FlagEmbedding `FlagReranker.compute_score` for a pair that may not fit: the query tokenized alone and cut to
 * `query_max_length` (¾ of max_length), the passage alone, then `prepare_for_model(q, p, truncation="only_second",
 * max_length)`: the passage is cut so the pair with its special tokens fits.
 */
export async function flagRerankerScore(model: ReferenceModel, query: string, document: string, maxLength: number): Promise<number> {
  const q = await raw(model.tokenizer, query);
  // Direction given: the Node binding's Encoding.truncate defaults to cutting from the left (Python's to the right).
  q.truncate(Math.floor((maxLength * 3) / 4), 0, "right");
  const p = await raw(model.tokenizer, document);
  const specials = model.tokenizer.postProcess(await raw(model.tokenizer, "a"), await raw(model.tokenizer, "b"), true).getLength() - 2;
  p.truncate(Math.max(0, maxLength - specials - q.getLength()), 0, "right");
  return classifierLogit(model, model.tokenizer.postProcess(q, p, true));
}

/** The last position's next-token logits of a causal LM on one unpadded prompt (empty KV cache where it takes one). */
export async function lastLogits(model: ReferenceModel, inputIds: readonly number[]): Promise<Float32Array> {
  const n = inputIds.length;
  const feeds: Record<string, Tensor> = { input_ids: int64(inputIds), attention_mask: int64(inputIds.map(() => 1)) };
  if (model.session.inputNames.includes("position_ids")) feeds.position_ids = int64(inputIds.map((_, i) => i));
  const { num_key_value_heads: heads = 1, head_dim: dim = 1 } = model.config;
  for (const name of model.session.inputNames) {
    if (name.startsWith("past_key_values.")) feeds[name] = new Tensor("float32", new Float32Array(0), [1, heads, 0, dim]);
  }
  const { logits } = await model.session.run(feeds, ["logits"]);
  const vocab = logits!.dims[2]!;
  return (logits!.data as Float32Array).slice((n - 1) * vocab, n * vocab);
}

/**
 * The Qwen3-Reranker model card's formula (sentence-transformers `LogitScore` reproduces it): prefix and suffix
 * tokenized apart, the body "<Instruct>: …\n<Query>: …\n<Document>: …" tokenized whole and cut at its end to
 * `max_length - len(prefix) - len(suffix)`, then log_softmax over the last position's ("no", "yes") logits.
 * Returns the log-odds log P(yes) - log P(no) (= yes - no logit) and P(yes).
 */
export async function qwen3RerankerScore(
  model: ReferenceModel,
  query: string,
  document: string,
  { instruction = "Given a web search query, retrieve relevant passages that answer the query", maxLength = 8192 } = {},
): Promise<{ logOdds: number; probability: number; inputIds: number[] }> {
  const prefix =
    '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n';
  const suffix = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";
  const prefixIds = await ids(model.tokenizer, prefix);
  const suffixIds = await ids(model.tokenizer, suffix);
  const body = await ids(model.tokenizer, `<Instruct>: ${instruction}\n<Query>: ${query}\n<Document>: ${document}`);
  const inputIds = [...prefixIds, ...body.slice(0, maxLength - prefixIds.length - suffixIds.length), ...suffixIds];
  const logits = await lastLogits(model, inputIds);
  const yes = logits[model.tokenizer.tokenToId("yes")!]!;
  const no = logits[model.tokenizer.tokenToId("no")!]!;
  const top = Math.max(yes, no);
  const logSum = top + Math.log(Math.exp(yes - top) + Math.exp(no - top));
  return { logOdds: yes - logSum - (no - logSum), probability: Math.exp(yes - logSum), inputIds };
}

/**
 * mixedbread-ai/mxbai-rerank `MxbaiRerankV2`: chat prefix, "query: …" (cut to ¾ of max_length), "\n",
 * "document: …", "\n", the task prompt and the chat suffix, each tokenized alone; logit("1") - logit("0") at the
 * last position.
 */
export async function mxbaiRerankV2Score(model: ReferenceModel, query: string, document: string): Promise<number> {
  const t = (text: string) => ids(model.tokenizer, text);
  const task =
    "You are a search relevance expert who evaluates how well documents match search queries. For each query-document pair, carefully analyze the semantic relationship between them, then provide your binary relevance judgment (0 for not relevant, 1 for relevant).\nRelevance:";
  const inputIds = [
    ...(await t("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n")),
    ...(await t(`query: ${query}`)),
    ...(await t("\n")),
    ...(await t(`document: ${document}`)),
    ...(await t("\n")),
    ...(await t(task)),
    ...(await t("<|im_end|>\n<|im_start|>assistant\n")),
  ];
  const logits = await lastLogits(model, inputIds);
  return logits[(await t("1"))[0]!]! - logits[(await t("0"))[0]!]!;
}

/**
 * FlagEmbedding `FlagLLMReranker` (decoder_only/base.py), as for bge-reranker-v2-gemma: "A: " + query (cut to
 * ¾ of max_length) after the BOS token, "\n", "B: " + passage, "\n" and its prompt, each tokenized alone; the
 * score is the "Yes" logit at the last position (`normalize` would take its sigmoid).
 */
export async function flagLlmRerankerScore(model: ReferenceModel, bos: number, query: string, document: string): Promise<number> {
  const t = (text: string) => ids(model.tokenizer, text);
  const prompt =
    "Given a query A and a passage B, determine whether the passage contains an answer to the query by providing a prediction of either 'Yes' or 'No'.";
  const inputIds = [bos, ...(await t(`A: ${query}`)), ...(await t("\n")), ...(await t(`B: ${document}`)), ...(await t("\n")), ...(await t(prompt))];
  const logits = await lastLogits(model, inputIds);
  return logits[(await t("Yes"))[0]!]!;
}
