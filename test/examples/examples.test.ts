import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { causalModelsUnavailable, ensureQwen3Fixture } from "../../scripts/causal_models.js";
import { FIXTURE_COLBERT, FIXTURE_RERANKER } from "../support/fixtures.js";
import { useFakeRerankServer } from "../support/fake_rerank_server.js";
import { PROJECT_DIR } from "../support/shared.js";

// The plain-TypeScript examples beside the notebooks, run as a user runs them (`npx tsx examples/…`). They import the
// package by name; tsconfig.json's "paths" map it to src/, so they need no build (the notebooks run against dist/).
const run = promisify(execFile);
const TSX = join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs");
const example = (file: string, env: Record<string, string>) =>
  run(process.execPath, [TSX, `examples/${file}`], { cwd: PROJECT_DIR, env: { ...process.env, RERANK_MODEL: FIXTURE_RERANKER, ...env } });

/** The ranked lines `show()` prints under a heading: [id, score, first-stage rank]. */
function rankedAfter(stdout: string, heading: string): [string, number, number][] {
  const block = stdout.split(heading)[1]!.split("\n\n")[0]!;
  return [...block.matchAll(/^ {2}(p\d\d) {2}score ([\d.]+) {2}\(first stage #(\d+)\)/gm)].map((m) => [m[1]!, Number(m[2]), Number(m[3])]);
}

describe("examples/quick_start.ts", () => {
  const server = useFakeRerankServer();

  it("reranks BM25, vector and hybrid candidates locally, through a TEI server and through CohereRerank", async () => {
    const { stdout } = await example("quick_start.ts", { RERANK_SERVER_URL: server.url, COHERE_BASE_URL: server.url, COHERE_API_KEY: "" });
    expect(stdout).toContain("RANDOM weights"); // a fixture's scores are never presented as quality
    const bm25 = stdout.split("BM25 candidates (first stage, in its order):")[1]!.split("\n\n")[0]!.trim().split("\n");
    expect(bm25).toHaveLength(8);
    for (const heading of [
      "After reranking (top 3)",
      "Same reranker over BM25:",
      "Same reranker over vector store:",
      "Same reranker over hybrid (EnsembleRetriever):",
      "reranked by local cross-encoder:",
      "reranked by rerank server (TEI):",
      `reranked by CohereRerank (${server.url}):`,
    ]) {
      const ranked = rankedAfter(stdout, heading);
      expect(ranked, heading).toHaveLength(3);
      const scores = ranked.map(([, score]) => score);
      expect(scores, heading).toEqual([...scores].sort((a, b) => b - a));
    }
    // The servers scored by word overlap: the passage that answers the query shares the most words with it.
    expect(rankedAfter(stdout, "reranked by rerank server (TEI):")[0]![0]).toBe("p01");
    expect(rankedAfter(stdout, `reranked by CohereRerank (${server.url}):`)[0]![0]).toBe("p01");
    expect(server.requestsTo("/rerank")).toHaveLength(1);
    expect(server.requestsTo("/v2/rerank")).toHaveLength(1);
  });

  it("without server URLs or a Cohere key it skips those rerankers and says how to add them", async () => {
    const { stdout } = await example("quick_start.ts", { RERANK_SERVER_URL: "", COHERE_BASE_URL: "", COHERE_API_KEY: "" });
    expect(stdout).toContain("RERANK_SERVER_URL is not set: skipping the rerank server");
    expect(stdout).toContain("Neither COHERE_API_KEY nor COHERE_BASE_URL is set: skipping Cohere.");
    expect(rankedAfter(stdout, "reranked by local cross-encoder:")).toHaveLength(3);
    expect(stdout).not.toContain("reranked by CohereRerank");
  });
});

describe("examples/three_stage.ts", () => {
  const server = useFakeRerankServer();

  it("runs BM25, a cross-encoder stage served by the server (the local model as fallback) and the multi-factor ranking", async () => {
    const served = await example("three_stage.ts", { RERANK_SERVER_URL: server.url });
    expect(served.stdout).toContain("RANDOM weights");
    expect(served.stdout).toContain("Cross-encoder stage served by: server");
    const lines = [...served.stdout.matchAll(/^ {2}(p\d\d) {2}final ([\d.]+) {2}\((.*); was #(\d+)\)$/gm)];
    expect(lines).toHaveLength(3);
    const finals = lines.map((m) => Number(m[2]));
    expect(finals).toEqual([...finals].sort((a, b) => b - a));
    for (const m of lines) expect(m[3]).toMatch(/^relevance [\d.]+, recency [\d.]+, firstStageRank [\d.]+, reliability [\d.]+$/);
    // The server failing, the local model serves.
    server.fail({ status: 503 }, { status: 503 }, { status: 503 });
    const fallback = await example("three_stage.ts", { RERANK_SERVER_URL: server.url });
    expect(fallback.stdout).toContain("Cross-encoder stage served by: local");
  });
});

describe("examples/lcel_chain.ts", () => {
  it("runs the chain (invoke with a traced rerank run, stream, batch) and the agent's reranking tool", async () => {
    const { stdout } = await example("lcel_chain.ts", {});
    expect(stdout).toContain("RANDOM weights");
    expect(stdout).toMatch(
      /\[run\] CrossEncoderReranker \(child of ContextualCompressionRetriever\) started: \{"query":"Does drinking coffee raise blood pressure\?","documents":8,"topN":3\}/,
    );
    const ended = /\[run\] CrossEncoderReranker ended: (.*)/.exec(stdout)![1]!;
    expect((JSON.parse(ended) as { results: unknown[] }).results).toHaveLength(3);
    expect(stdout).toContain("answer: Yes, for a few hours; regular drinkers develop a tolerance [1].");
    const chunks = Number(/(\d+) chunks: It is 330 metres tall/.exec(stdout)![1]);
    expect(chunks).toBeGreaterThan(1);
    expect(stdout).toMatch(/batch:\n {2}1\. Yes, for a few hours.*\n {2}2\. It is 330 metres tall/);
    expect(stdout).toContain('ai: calls search_passages({"query":"How do plants turn light into energy?"})');
    const toolResult = stdout.split("tool: ")[1]!.split("\n  ai:")[0]!;
    expect([...toolResult.matchAll(/\[(\d)\] \(score [\d.]+\)/g)].map((m) => m[1])).toEqual(["1", "2", "3"]);
    expect(stdout).toMatch(/ai: From the passages: \[1\] \(score [\d.]+\)/);
  });
});

describe("examples/late_interaction.ts", () => {
  it("indexes the documents as they go into the vector store, reranks from the store, times cold and warm, and a second process reads a LocalFileStore", async () => {
    const { stdout } = await example("late_interaction.ts", { COLBERT_MODEL: FIXTURE_COLBERT });
    expect(stdout).toContain("RANDOM weights"); // a fixture's scores are never presented as quality
    expect(stdout).toContain("Unset COLBERT_MODEL to use answerdotai/answerai-colbert-small-v1.");
    expect(stdout).toMatch(/^Indexed 32 documents in \d+ ms on this machine: \{ stored: 32, alreadyStored: 0, notStored: 0 \}$/m);
    expect(stdout).toContain("Indexing them again encodes nothing: { stored: 0, alreadyStored: 32, notStored: 0 }");
    const ranked = [...stdout.split("Reranked by ColBERT")[1]!.matchAll(/^ {2}(p\d\d) {2}MaxSim ([\d.]+) {2}\(first stage #(\d)\)/gm)];
    expect(ranked).toHaveLength(3);
    const scores = ranked.map((m) => Number(m[2]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0 && s <= 12)).toBe(true); // a MaxSim sum of unit vectors: at most the fixture's query length
    // Every candidate was indexed: the query reads all 8 from the store and encodes none.
    expect(stdout).toContain("Document vectors for this query: 8 read from the store (hits), 0 encoded (misses)");
    expect(stdout).toMatch(/cold \(documents encoded at query time\): median [\d.]+ ms \(min [\d.]+, max [\d.]+, 5 runs\)/);
    expect(stdout).toMatch(/warm \(documents indexed ahead\): +median [\d.]+ ms/);
    expect(stdout).toContain("Speed only");
    // The second process is another process, and finds every BM25 candidate in the folder the first one wrote.
    const parent = Number(/This process \((\d+)\) indexed into \S+: \{ stored: 32, alreadyStored: 0, notStored: 0 \}/.exec(stdout)![1]);
    const child = /process (\d+): 8 document vectors read from \S+, 0 encoded/.exec(stdout);
    expect(child).not.toBeNull();
    expect(Number(child![1])).not.toBe(parent);
    // Scores come from the stored vectors in both processes: a document both lists hold has one score.
    const parentScores = new Map(ranked.map((m) => [m[1]!, m[2]!]));
    const childLines = [...stdout.split("A second process")[1]!.matchAll(/^ {2}(p\d\d) {2}MaxSim ([\d.]+)/gm)];
    expect(childLines).toHaveLength(3);
    for (const [, id, score] of childLines) if (parentScores.has(id!)) expect(score).toBe(parentScores.get(id!));
  });

  it("offline without its model, exits 1 and offers a ColBERT folder, the fixture and the proxy", async () => {
    const missing = join(tmpdir(), "langchain-rerank-no-such-colbert");
    const error = (await example("late_interaction.ts", { COLBERT_MODEL: missing }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(`Model folder not found: ${missing}.`);
    expect(error.stderr).toContain("COLBERT_MODEL=/path/to/answerai-colbert-small-v1 npx tsx examples/late_interaction.ts");
    expect(error.stderr).toContain("scripts/make-colbert-fixture.py --proxy .models/colbert-small-proxy");
    expect(error.stderr).not.toMatch(/^\s+at /m);
    expect(/COLBERT_MODEL=(\S+) npx tsx \S+\s+# a tiny fixture/.exec(error.stderr)?.[1]).toBe("test/fixtures/models/tiny-colbert");
  });

  it("examples/late_interaction_reader.ts without a folder and query says how to run it", async () => {
    const error = (await example("late_interaction_reader.ts", { COLBERT_MODEL: FIXTURE_COLBERT }).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(2);
    expect(error.stderr).toContain('usage: COLBERT_MODEL=<model> npx tsx examples/late_interaction_reader.ts <store folder> "<query>"');
  });
});

describe("examples offline without their model", () => {
  // A model that cannot be found (offline without a cached copy, or a wrong folder) gets what to run instead, as
  // the demo prints it, not a stack trace.
  const missing = join(tmpdir(), "langchain-rerank-no-such-model");
  it.each(["quick_start.ts", "lcel_chain.ts", "three_stage.ts", "recipes.ts"])("examples/%s exits 1 and says what to run", async (file) => {
    const error = (await example(file, { RERANK_MODEL: missing, RERANK_SERVER_URL: "" }).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(`Model folder not found: ${missing}.`);
    expect(error.stderr).toContain(`RERANK_MODEL=/path/to/bge-reranker-base npx tsx examples/${file}`);
    expect(error.stderr).not.toMatch(/^\s+at /m);
    // …and the fixture it offers runs, labelled as random weights.
    const offered = /RERANK_MODEL=(\S+) npx tsx \S+\s+# a tiny fixture/.exec(error.stderr);
    expect(offered).not.toBeNull();
    if (file === "quick_start.ts") {
      const { stdout } = await example(file, { RERANK_MODEL: offered![1]!, RERANK_SERVER_URL: "", COHERE_BASE_URL: "", COHERE_API_KEY: "" });
      expect(stdout).toContain("RANDOM weights");
    }
  });
});

describe("examples/causal_reranker.ts offline without its model", () => {
  it("exits 1 and says what to run, with CAUSAL_RERANK_MODEL and the command that builds the tiny model", async () => {
    const missing = join(tmpdir(), "langchain-rerank-no-such-causal-model");
    const error = (await example("causal_reranker.ts", { CAUSAL_RERANK_MODEL: missing }).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(`Model folder not found: ${missing}.`);
    expect(error.stderr).toContain("CAUSAL_RERANK_MODEL=/path/to/Qwen3-Reranker-0.6B-ONNX npx tsx examples/causal_reranker.ts");
    expect(error.stderr).toContain("scripts/make-causal-model.py .models/qwen3-tiny");
    expect(error.stderr).not.toMatch(/^\s+at /m);
  });
});

describe.runIf(causalModelsUnavailable() === undefined)("examples/causal_reranker.ts", () => {
  it("reranks BM25 candidates with the Qwen3-shaped model in a ContextualCompressionRetriever, alone and in a cascade", async () => {
    const { stdout } = await example("causal_reranker.ts", { CAUSAL_RERANK_MODEL: ensureQwen3Fixture(true) });
    expect(stdout).toContain("RANDOM weights"); // a fixture's scores are never presented as quality
    const lines = [...stdout.matchAll(/^ {2}(p\d\d) {2}P\(yes\) (0\.\d{4})/gm)];
    expect(lines).toHaveLength(6); // top 3 alone, top 3 after the cascade
  });
});

describe("notebooks generated from the examples", () => {
  // scripts/notebook_from_example.py writes each notebook from its script; a notebook edited alone would drift.
  it.each(["quick_start", "lcel_chain", "three_stage", "causal_reranker", "late_interaction"])(
    "examples/%s.ipynb has the script's code, section by section",
    (name) => {
      const script = readFileSync(join(PROJECT_DIR, "examples", `${name}.ts`), "utf8");
      const body = script.slice(script.indexOf(" */\n") + 4);
      const expected = body.split(/^\/\/ --- .*\n/m).map((part, i) => (i === 0 ? part : part.replace(/^(\/\/ .*\n)*/, "")).trim());
      const notebook = JSON.parse(readFileSync(join(PROJECT_DIR, "examples", `${name}.ipynb`), "utf8")) as {
        cells: { cell_type: string; source: string[]; outputs?: unknown[] }[];
      };
      const code = notebook.cells.filter((c) => c.cell_type === "code");
      expect(code.map((c) => c.source.join(""))).toEqual(expected);
      expect(code.every((c) => c.outputs?.length === 0)).toBe(true); // committed without model-dependent outputs
    },
  );
});
