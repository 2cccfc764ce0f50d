import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { withoutUrlSecrets } from "../../../src/eval/cli/cli.js";
import { useFakeRerankServer } from "../../support/fake_rerank_server.js";
import { rerankEval as cliAsync, rerankEvalSync } from "../../support/rerank_eval.js";
import { SHARED_DIR, describeWithShared } from "../../support/shared.js";

const out = mkdtempSync(join(tmpdir(), "rerank-eval-cli-"));
const data = (name: string) => join(SHARED_DIR, "data", name);

const cli = rerankEvalSync;

/** stderr must be exactly one line: "rerank-eval: <message>". */
function oneErrorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^rerank-eval: /);
  return lines[0] as string;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("rerank-eval: usage", () => {
  it("prints help and exits 0", () => {
    const { code, stdout } = cli(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: rerank-eval --dataset DIR");
  });

  it("exits 2 with one line for a missing --dataset, an unknown flag, metric or reranker", () => {
    const cases: [string[], string][] = [
      [[], "rerank-eval: --dataset DIR is required (a BEIR-layout folder); see --help."],
      [["--dataset", "x", "--frobnicate"], "rerank-eval: Unknown option '--frobnicate'"],
      [["--dataset", "x", "--metrics", "ndcg@10,bleu"], 'rerank-eval: Unknown metric "bleu": expected one of ndcg@k'],
      [["--dataset", "x", "--reranker", "magic"], 'rerank-eval: Unknown reranker "magic": expected one of none, cross-encoder, cohere, server'],
      [["--dataset", "x", "--limit", "0"], 'rerank-eval: --limit must be a positive integer, got "0".'],
      [["--dataset", "x", "--rel-threshold="], 'rerank-eval: --rel-threshold must be an integer label, got "".'],
      [["--dataset", "x", "--rel-threshold", "0x2"], 'rerank-eval: --rel-threshold must be an integer label, got "0x2".'],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = cli(args);
      expect(code).toBe(2);
      expect(oneErrorLine(stderr).startsWith(message)).toBe(true);
    }
  });

  it("--choose-weights: exits 2 without exactly one reranker to weigh, or with its options alone", () => {
    const cases: [string[], string][] = [
      [["--dataset", "x", "--choose-weights"], "rerank-eval: --choose-weights needs exactly one --reranker besides none"],
      [
        ["--dataset", "x", "--choose-weights", "--reranker", "cross-encoder:a", "--reranker", "cross-encoder:b"],
        "rerank-eval: --choose-weights needs exactly one",
      ],
      [["--dataset", "x", "--weights-method", "grid"], "rerank-eval: --weights-method and --weights-metric go with --choose-weights."],
      [
        ["--dataset", "x", "--choose-weights", "--reranker", "cross-encoder:a", "--weights-method", "random"],
        'rerank-eval: --weights-method must be grid or coordinate, got "random".',
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = cli(args);
      expect(code, args.join(" ")).toBe(2);
      expect(oneErrorLine(stderr)).toContain(message);
    }
  });

  it("exits 1 with one line for a missing dataset folder", () => {
    const { code, stderr } = cli(["--dataset", "/nonexistent/beir/scifact"]);
    expect(code).toBe(1);
    expect(oneErrorLine(stderr)).toBe(
      "rerank-eval: /nonexistent/beir/scifact: dataset folder not found: expected a folder with corpus.jsonl, queries.jsonl and qrels/.",
    );
  });
});

describeWithShared("rerank-eval on ../shared data", () => {
  it("reproduces TREC DL 2019 BM25 in --json: nDCG@10 0.5058, RR@10 0.7024, Recall@100 0.4910 (relevance ≥ 2)", () => {
    const json = join(out, "dl19.json");
    const { code, stdout } = cli([
      "--dataset",
      data("trec-dl-2019"),
      "--run",
      join(data("trec-dl-2019"), "runs", "bm25_top100.trec"),
      "--metrics",
      "ndcg@10,mrr@10,recall@100",
      "--rel-threshold",
      "2",
      "--json",
      json,
      "--quiet",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^none +0\.5058 +0\.7024 +0\.4910$/m);
    const summary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary.queriesEvaluated).toBe(43);
    expect(summary.relThreshold).toBe(2);
    const mean = summary.configurations[0].mean;
    expect([mean["ndcg@10"], mean["mrr@10"], mean["recall@100"]].map((v: number) => v.toFixed(4))).toEqual(["0.5058", "0.7024", "0.4910"]);
    expect(summary.perQuery).toHaveLength(43);
  });

  it("SciFact with its run in --json: nDCG@10 0.6627 and Recall@100 0.8859", () => {
    const json = join(out, "scifact.json");
    const { code } = cli([
      "--dataset",
      data("scifact"),
      "--run",
      join(data("scifact"), "runs", "bm25_top100.trec"),
      "--metrics",
      "ndcg@10,recall@100",
      "--json",
      json,
      "--quiet",
    ]);
    expect(code).toBe(0);
    const mean = JSON.parse(readFileSync(json, "utf8")).configurations[0].mean;
    expect([mean["ndcg@10"].toFixed(4), mean["recall@100"].toFixed(4)]).toEqual(["0.6627", "0.8859"]);
  });

  it("skips judged queries the run does not cover, as trec_eval does without -c, and says so", () => {
    const lines = readFileSync(join(data("trec-dl-2019"), "runs", "bm25_top100.trec"), "utf8").split("\n");
    const firstTwo = new Set(
      lines
        .map((l) => l.split(" ")[0])
        .filter(Boolean)
        .slice(0, 101),
    );
    const run = join(out, "partial.trec");
    writeFileSync(run, `${lines.filter((l) => firstTwo.has(l.split(" ")[0] as string)).join("\n")}\n`);
    expect(firstTwo.size).toBe(2);
    const json = join(out, "partial.json");
    const { code, stdout } = cli(["--dataset", data("trec-dl-2019"), "--run", run, "--json", json, "--quiet"]);
    expect(code).toBe(0);
    expect(stdout).toContain("note: 41 judged queries are not in the run and were skipped (as trec_eval without -c)");
    expect(JSON.parse(readFileSync(json, "utf8")).queriesEvaluated).toBe(2);
  });

  it("exits 1 naming the file and line of a bad run line", () => {
    const run = join(out, "bad.trec");
    writeFileSync(run, "1 Q0 31715818 1 12.5 bm25\n1 Q0 14717500 2 bm25\n");
    const { code, stderr } = cli(["--dataset", data("scifact"), "--run", run]);
    expect(code).toBe(1);
    expect(oneErrorLine(stderr)).toBe(
      `rerank-eval: ${run}:2: expected 6 whitespace-separated fields "query-id Q0 doc-id rank score tag", got 5: "1 Q0 14717500 2 bm25".`,
    );
  });

  it("exits 1 with one line when the rerank server is unreachable", async () => {
    const port = await closedPort();
    const { code, stderr, stdout } = cli([
      "--dataset",
      data("trec-dl-2019"),
      "--run",
      join(data("trec-dl-2019"), "runs", "bm25_top100.trec"),
      "--reranker",
      "none",
      "--reranker",
      `server:http://127.0.0.1:${port}/rerank`,
      "--quiet",
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(oneErrorLine(stderr)).toMatch(
      new RegExp(`^rerank-eval: Rerank server \\(cohere, POST http://127.0.0.1:${port}/rerank\\) could not reach the server`),
    );
  });
});

describeWithShared("rerank-eval end to end with a local cross-encoder (proxy model: pipeline only, scores mean nothing)", () => {
  let model = "";
  beforeAll(() => {
    model = inject("miniLmProxy")!; // built once per test run by test/global-setup.ts
  });

  it("reranks SciFact candidates, keeps all of them, and writes JSON, report and chart", () => {
    const json = join(out, "proxy.json");
    const report = join(out, "proxy.md");
    const chart = join(out, "proxy.svg");
    const { code, stdout, stderr } = cli([
      "--dataset",
      data("scifact"),
      "--run",
      join(data("scifact"), "runs", "bm25_top100.trec"),
      "--depth",
      "10",
      "--limit",
      "2",
      "--reranker",
      "none",
      "--reranker",
      "cross-encoder",
      "--model",
      model,
      "--dtype",
      "q8",
      "--batch-size",
      "4",
      "--metrics",
      "ndcg@10,mrr@10,recall@10",
      "--json",
      json,
      "--report",
      report,
      "--chart",
      chart,
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/queries .* 2\/2 \| [\d.]+ q\/s \| ETA/);
    expect(stdout).toMatch(/^cross-encoder:minilm-proxy +\d\.\d{4} \([+−]\d\.\d{4}\)/m);
    const summary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary.queriesEvaluated).toBe(2);
    expect(summary.configurations.map((c: { name: string }) => c.name)).toEqual(["none", "cross-encoder:minilm-proxy"]);
    const [none, ce] = summary.configurations;
    // Reordering ten candidates cannot change recall@10: the reranker kept all of them.
    expect(ce.mean["recall@10"]).toBe(none.mean["recall@10"]);
    expect(ce.latency.rerank.count).toBe(2);
    expect(ce.threshold.kept).toBeGreaterThan(0);
    expect(readFileSync(report, "utf8")).toContain("![metrics and latency per configuration](proxy.svg)");
    expect(readFileSync(chart, "utf8")).toMatch(/^<svg[^>]*>.*cross-encoder:minilm-proxy/s);
  });

  it("--choose-weights chooses MultiFactorReranker weights on alternate queries and reports them on the others", async () => {
    const json = join(out, "weights.json");
    const { code, stdout, stderr } = await cliAsync([
      "--dataset",
      data("scifact"),
      "--run",
      join(data("scifact"), "runs", "bm25_top100.trec"),
      "--depth",
      "5",
      "--limit",
      "4",
      "--reranker",
      "cross-encoder",
      "--model",
      model,
      "--dtype",
      "q8",
      "--batch-size",
      "5",
      "--metrics",
      "ndcg@10,mrr@10",
      "--choose-weights",
      "--weights-method",
      "coordinate",
      "--weights-metric",
      "mrr@10",
      "--json",
      json,
      "--quiet",
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(
      "MultiFactorReranker weights for cross-encoder:minilm-proxy (coordinate search on mrr@10; 2 dev / 2 held-out queries, alternating):",
    );
    expect(stdout).toMatch(/^chosen +relevance \d\.\d\d, firstStageRank \d\.\d\d, firstStageScore \d\.\d\d +\d\.\d{4} +\d\.\d{4}$/m);
    const summary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary.configurations.map((c: { name: string }) => c.name)).toEqual(["none", "cross-encoder:minilm-proxy"]);
    const { weights } = summary;
    expect(Object.keys(weights.weights)).toEqual(["relevance", "firstStageRank", "firstStageScore"]);
    expect(weights.devQueries + weights.heldOutQueries).toBe(4);
    // The chosen weights are at least as good on dev as each factor alone (the search starts from relevance alone).
    for (const b of weights.baselines) if (b.factor === "relevance") expect(weights.dev).toBeGreaterThanOrEqual(b.dev);
  });
});

describe("rerank-eval: secrets in what it writes", () => {
  const fake = useFakeRerankServer();

  it("masks URL credentials and ?api_key= values of the command line quoted in --json and --report", () => {
    expect(withoutUrlSecrets("server:http://bob:hunter2@127.0.0.1:9/rerank?api_key=QKEY&v=1")).toBe(
      "server:http://***@127.0.0.1:9/rerank?api_key=***&v=1",
    );
    expect(withoutUrlSecrets("--quiet")).toBe("--quiet");
  });

  it("never prints a server spec's credentials: not on stdout, in --json nor in --report", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rerank-eval-secrets-"));
    writeFileSync(join(dir, "corpus.jsonl"), '{"_id":"d1","text":"red apples"}\n{"_id":"d2","text":"blue sky"}\n');
    writeFileSync(join(dir, "queries.jsonl"), '{"_id":"q1","text":"red apples"}\n');
    mkdirSync(join(dir, "qrels"));
    writeFileSync(join(dir, "qrels", "test.tsv"), "q1\td1\t1\n");
    const url = new URL(`${fake.url}/v2/rerank?api_key=QKEY-5521`);
    url.username = "bob";
    url.password = "hunter2-secret";
    const json = join(dir, "out.json");
    const report = join(dir, "out.md");
    const { code, stdout, stderr } = await cliAsync([
      "--dataset",
      dir,
      "--reranker",
      `server:${url.href}`,
      "--server-model",
      "rerank-v3.5",
      "--json",
      json,
      "--report",
      report,
      "--quiet",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const written = [stdout, readFileSync(json, "utf8"), readFileSync(report, "utf8")];
    for (const text of written) expect(text).not.toMatch(/hunter2|QKEY-5521|bob/);
    expect(stdout).toContain(`server:http://***:***@127.0.0.1:${url.port}/v2/rerank?api_key=***`);
  });
});
