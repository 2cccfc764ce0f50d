import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";

const node = promisify(execFile);

// The published entry points (built by `npm run build`, which `npm test` runs first), resolved through the
// package's own "exports" map as a user's project would: both module systems load every entry point and rerank,
// and the entries share one copy of the error classes.
const program = (load: string) => `
  ${load}
  const { Document } = await import("@langchain/core/documents");
  const reranker = new m.CrossEncoderReranker({ model: ${JSON.stringify(FIXTURE_RERANKER)}, topN: 2 });
  const monitor = new mon.RerankMonitor();
  const out = await reranker.compressDocuments(["a", "b", "c"].map((t) => new Document({ pageContent: t })), "query", [monitor]);
  console.log(JSON.stringify({ n: out.length, keys: Object.keys(out[0].metadata), classes: typeof cohere.CohereRerank + typeof hf.HuggingFaceCrossEncoder + typeof ev.evaluate, sameErrors: (() => { try { new hf.HuggingFaceCrossEncoder({ device: "nope" }); } catch (error) { return error instanceof m.InvalidOptionError; } })(), monitored: monitor.summary().queries }));
`;

describe("package entry points", () => {
  it.each([
    [
      "ESM import",
      `const [m, hf, cohere, ev, mon] = await Promise.all(["", "/huggingface", "/cohere", "/eval", "/monitor"].map((p) => import("langchain-rerank" + p)));`,
    ],
    [
      "CJS require",
      `const [m, hf, cohere, ev, mon] = ["", "/huggingface", "/cohere", "/eval", "/monitor"].map((p) => require("langchain-rerank" + p));`,
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
    });
  });
});
