import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";
import { useFakeRerankServer } from "../../support/fake_rerank_server.js";
import { oneErrorLine, rerankEval, tinyDataset } from "../../support/rerank_eval.js";

// rerank-eval's local-scorer session flags, its random-weight warning and where it says keys come from.

const dataset = tinyDataset();
const out = mkdtempSync(join(tmpdir(), "rerank-eval-flags-"));
const local = ["--dataset", dataset, "--reranker", "cross-encoder", "--model", FIXTURE_RERANKER, "--quiet"];

describe("rerank-eval --threads and --session-options", () => {
  it("--help lists them", async () => {
    const { stdout } = await rerankEval(["--help"]);
    expect(stdout).toContain("--threads N ");
    expect(stdout).toContain("--session-options JSON ");
  });

  it("--threads 1 runs the local cross-encoder", async () => {
    const { code, stdout, stderr } = await rerankEval([...local, "--threads", "1"]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^cross-encoder:tiny-bert-reranker +1\.0000/m);
  });

  it("--session-options reaches onnxruntime: an invalid option fails the model load", async () => {
    const { code, stdout, stderr } = await rerankEval([...local, "--session-options", '{"graphOptimizationLevel":"nonsense"}']);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(oneErrorLine(stderr)).toMatch(/graphOptimizationLevel|nonsense|optimization/i);
  });

  it.each([
    [["--threads", "0"], '--threads must be a positive integer, got "0".'],
    [["--threads", "1", "--session-options", "{}"], "--threads and --session-options go separately"],
    [["--session-options", "[]"], "--session-options must be a JSON object"],
  ])("%j exits 2 with one line", async (flags, message) => {
    const { code, stderr } = await rerankEval([...local, ...flags]);
    expect(code).toBe(2);
    expect(oneErrorLine(stderr)).toContain(message);
  });

  it("without a cross-encoder reranker they would do nothing: exits 2", async () => {
    const { code, stderr } = await rerankEval(["--dataset", dataset, "--threads", "1"]);
    expect(code).toBe(2);
    expect(oneErrorLine(stderr)).toBe("--threads and --session-options set the local cross-encoder's session: add --reranker cross-encoder.");
  });
});

describe("rerank-eval warns when a model has random weights", () => {
  it("on stderr and in the notes of stdout, --json and --report", async () => {
    const json = join(out, "random.json");
    const report = join(out, "random.md");
    const { code, stdout, stderr } = await rerankEval([...local, "--reranker", "none", "--json", json, "--report", report]);
    expect(code, stderr).toBe(0);
    const warning =
      "cross-encoder:tiny-bert-reranker has RANDOM weights (a test fixture or benchmark proxy): its scores and metrics mean nothing about relevance.";
    expect(stderr).toBe(`rerank-eval: warning: ${warning}\n`);
    expect(stdout).toContain(`note: ${warning}`);
    expect(JSON.parse(readFileSync(json, "utf8")).context.notes).toContain(warning);
    expect(readFileSync(report, "utf8")).toContain(`- ${warning}`);
  });

  it("not for the first stage alone", async () => {
    const { code, stderr } = await rerankEval(["--dataset", dataset, "--quiet"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
  });
});

describe("rerank-eval says keys come from the environment", () => {
  const server = useFakeRerankServer({ apiKey: "right-key-7781" });

  it("--reranker cohere without COHERE_API_KEY or CO_API_KEY names them, not `apiKey`", async () => {
    const { code, stdout, stderr } = await rerankEval(["--dataset", dataset, "--reranker", "cohere", "--quiet"], {
      env: { COHERE_API_KEY: undefined, CO_API_KEY: "" },
    });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    const line = oneErrorLine(stderr);
    expect(line).toContain("rerank-eval reads it from the environment: set COHERE_API_KEY (or CO_API_KEY)");
    expect(line).not.toContain("apiKey");
  });

  it("a server answering 401 without RERANK_SERVER_API_KEY says it is not set; with a wrong one, to check it (never printed)", async () => {
    const args = ["--dataset", dataset, "--reranker", `server:${server.url}/v2/rerank`, "--server-model", "rerank-v3.5", "--quiet"];
    const unset = await rerankEval(args, { env: { RERANK_SERVER_API_KEY: undefined } });
    expect(unset.code).toBe(1);
    expect(oneErrorLine(unset.stderr)).toContain(
      "rerank-eval sends a key only from the RERANK_SERVER_API_KEY environment variable, which is not set.",
    );
    const wrong = await rerankEval(args, { env: { RERANK_SERVER_API_KEY: "wrong-key-5512" } });
    expect(wrong.code).toBe(1);
    expect(oneErrorLine(wrong.stderr)).toContain("rerank-eval sent the key in the RERANK_SERVER_API_KEY environment variable: check it.");
    expect(wrong.stderr).not.toContain("wrong-key-5512");
    const right = await rerankEval(args, { env: { RERANK_SERVER_API_KEY: "right-key-7781" } });
    expect(right.code, right.stderr).toBe(0);
  });
});
