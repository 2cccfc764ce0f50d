import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";

const node = promisify(execFile);

// The published entry points (built by `npm run build`, which `npm test` runs first), resolved through the
// package's own "exports" map as a user's project would: both module systems load every entry point and rerank
// (the AI SDK's rerank() with the /ai-sdk entry gives CrossEncoderReranker's ranking), and the entries share one
// copy of the error classes.
const program = (load: string) => `
  ${load}
  const { Document } = await import("@langchain/core/documents");
  const reranker = new m.CrossEncoderReranker({ model: ${JSON.stringify(FIXTURE_RERANKER)}, topN: 2 });
  const monitor = new mon.RerankMonitor();
  const out = await reranker.compressDocuments(["a", "b", "c"].map((t) => new Document({ pageContent: t })), "query", [monitor]);
  const { ranking } = await ai.rerank({ model: aisdk.localReranking(${JSON.stringify(FIXTURE_RERANKER)}), documents: ["a", "b", "c"], query: "query", topN: 2 });
  const sameAsReranker = JSON.stringify(ranking.map((r) => [r.originalIndex, r.score])) === JSON.stringify(out.map((d) => [d.metadata.retrievalRank - 1, d.metadata.relevanceScore]));
  console.log(JSON.stringify({ n: out.length, keys: Object.keys(out[0].metadata), classes: typeof cohere.CohereRerank + typeof hf.HuggingFaceCrossEncoder + typeof ev.evaluate, sameErrors: (() => { try { new hf.HuggingFaceCrossEncoder({ device: "nope" }); } catch (error) { return error instanceof m.InvalidOptionError; } })() && aisdk.InvalidOptionError === undefined, monitored: monitor.summary().queries, sameAsReranker }));
`;

describe("package entry points", () => {
  it.each([
    [
      "ESM import",
      `const [m, hf, cohere, ev, mon, aisdk] = await Promise.all(["", "/huggingface", "/cohere", "/eval", "/monitor", "/ai-sdk"].map((p) => import("langchain-rerank" + p))); const ai = await import("ai");`,
    ],
    [
      "CJS require",
      `const [m, hf, cohere, ev, mon, aisdk] = ["", "/huggingface", "/cohere", "/eval", "/monitor", "/ai-sdk"].map((p) => require("langchain-rerank" + p)); const ai = require("ai");`,
    ],
  ])("%s resolves dist/ and reranks", async (_, load) => {
    const args = load.includes("require") ? ["-e", `(async () => { ${program(load)} })()`] : ["--input-type=module", "-e", program(load)];
    const { stdout } = await node(process.execPath, args, { cwd: PROJECT_DIR });
    expect(JSON.parse(stdout)).toEqual({
      n: 2,
      keys: ["relevanceScore", "retrievalRank", "stageScores"],
      classes: "functionfunctionfunction",
      sameErrors: true,
      monitored: 1,
      sameAsReranker: true,
    });
  });
});
