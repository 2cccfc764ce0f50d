/**
 * Scaffolding shared by the examples and notebooks, so they run offline. In your own code you will not need it:
 * use real embeddings (OpenAIEmbeddings, HuggingFaceTransformersEmbeddings, …) and a real reranker model.
 */
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { Embeddings } from "@langchain/core/embeddings";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, ToolMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";

/**
 * The reranker model: `RERANK_MODEL` (a hub id or a local folder) or `Xenova/bge-reranker-base`, which
 * transformers.js downloads on first use (a few hundred MB, then cached).
 */
export const RERANK_MODEL = process.env.RERANK_MODEL ?? "Xenova/bge-reranker-base";

/**
 * True when a model folder holds random weights: the project's test fixtures and benchmark proxies say so in
 * their ONNX header. Their scores, and the orders they produce, mean nothing.
 */
export function hasRandomWeights(model: string): boolean {
  const file = ["model_quantized.onnx", "model.onnx"].map((f) => join(model, "onnx", f)).find((f) => existsSync(f));
  if (file === undefined) return false;
  const head = Buffer.alloc(256);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 256, 0);
  } finally {
    closeSync(fd);
  }
  return /random/i.test(head.toString("latin1"));
}

/** One line saying which model runs, and a warning when its weights are random. */
export function describeRerankModel(model: string = RERANK_MODEL): string {
  return hasRandomWeights(model)
    ? `Reranker model: ${model}\nWARNING: this model has RANDOM weights (a test fixture or benchmark proxy used in CI). ` +
        "Its scores, and the orders below, mean nothing about relevance. Unset RERANK_MODEL to use Xenova/bge-reranker-base."
    : `Reranker model: ${model}`;
}

/**
 * Toy embeddings for the offline examples: a bag of lower-cased words hashed into `dimensions` buckets and
 * normalised, so cosine similarity is word overlap. Good enough to give a vector store plausible candidates;
 * not a semantic model.
 */
export class HashingEmbeddings extends Embeddings {
  constructor(private readonly dimensions = 512) {
    super({});
  }

  private embed(text: string): number[] {
    const vector: number[] = new Array<number>(this.dimensions).fill(0);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      let hash = 2166136261;
      for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
      vector[(hash >>> 0) % this.dimensions]! += 1;
    }
    const norm = Math.hypot(...vector) || 1;
    return vector.map((v) => v / norm);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embed(t));
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }
}

/** The local Cohere/TEI-compatible server CI starts (scripts/run-notebooks.sh), if any. */
export const COHERE_BASE_URL = process.env.COHERE_BASE_URL;
export const RERANK_SERVER_URL = process.env.RERANK_SERVER_URL;

/**
 * A stand-in for a tool-calling chat model, so the agent example runs offline and deterministically. Its "policy":
 * when the last message is the user's, call the first bound tool with `{ query: <the user's text> }`; when it is
 * a tool result, answer with the result's first passage. Use a real model in your code (ChatOpenAI, ChatAnthropic, …).
 */
export class ScriptedToolCallingChatModel extends BaseChatModel {
  private toolNames: string[] = [];

  _llmType(): string {
    return "scripted-tool-calling";
  }

  override bindTools(tools: { name: string }[]): this {
    const bound = new ScriptedToolCallingChatModel({}) as this;
    bound.toolNames = tools.map((t) => t.name);
    return bound;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const last = messages[messages.length - 1];
    const text = typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "");
    let message: AIMessage;
    if (last !== undefined && ToolMessage.isInstance(last)) {
      message = new AIMessage(`From the passages: ${text.split("\n")[0] ?? ""}`);
    } else if (this.toolNames[0] !== undefined) {
      message = new AIMessage({ content: "", tool_calls: [{ id: `call_${messages.length}`, name: this.toolNames[0], args: { query: text } }] });
    } else {
      message = new AIMessage("No tool is bound, so I cannot search.");
    }
    return { generations: [{ message, text: typeof message.content === "string" ? message.content : "" }] };
  }
}
