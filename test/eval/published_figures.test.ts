import { join } from "node:path";
import { expect, it } from "vitest";
import { loadBeirDataset } from "../../src/eval/data/beir.js";
import { evaluate } from "../../src/eval/evaluate.js";
import { evaluateRun } from "../../src/eval/stats/metrics.js";
import { RunFileRetriever } from "../../src/eval/data/run_file_retriever.js";
import { loadQrels, loadTrecRun } from "../../src/eval/data/trec.js";
import { SHARED_DIR, describeWithShared } from "../support/shared.js";

// REFERENCE §6: pyserini's BM25 on TREC DL 2019 and the unstemmed BM25 run on SciFact, to four decimals.
const data = (name: string) => join(SHARED_DIR, "data", name);
const round4 = (v: number | undefined) => Number((v ?? NaN).toFixed(4));

describeWithShared("published BM25 figures", () => {
  it("TREC DL 2019: nDCG@10 0.5058, RR@10 0.7024 and Recall@100 0.4910 (relevance ≥ 2) from the run file", async () => {
    const run = await loadTrecRun(join(data("trec-dl-2019"), "runs", "bm25_top100.trec"));
    const qrels = await loadQrels(join(data("trec-dl-2019"), "qrels", "test.trec.txt"));
    const graded = evaluateRun(run, qrels, ["ndcg@10"]);
    const binary = evaluateRun(run, qrels, ["mrr@10", "recall@100"], { relThreshold: 2 });
    expect(graded.perQuery.size).toBe(43);
    expect(round4(graded.mean["ndcg@10"])).toBe(0.5058);
    expect(round4(binary.mean["mrr@10"])).toBe(0.7024);
    expect(round4(binary.mean["recall@100"])).toBe(0.491);
    // The relevance threshold matters: with label ≥ 1 the binary figures are not the published ones.
    const lenient = evaluateRun(run, qrels, ["recall@100"], { relThreshold: 1 });
    expect(round4(lenient.mean["recall@100"])).not.toBe(0.491);
  });

  it("TREC DL 2019: the BEIR-layout TSV qrels give the same values as the TREC qrels", async () => {
    const run = await loadTrecRun(join(data("trec-dl-2019"), "runs", "bm25_top100.trec"));
    const tsv = evaluateRun(run, await loadQrels(join(data("trec-dl-2019"), "qrels", "test.tsv")), ["ndcg@10", "map@100"], { relThreshold: 2 });
    const trec = evaluateRun(run, await loadQrels(join(data("trec-dl-2019"), "qrels", "test.trec.txt")), ["ndcg@10", "map@100"], { relThreshold: 2 });
    expect(tsv.perQuery).toEqual(trec.perQuery);
  });

  it("SciFact test: nDCG@10 0.6627 and Recall@100 0.8859 through evaluate() with the run replayed as a retriever", async () => {
    const run = await loadTrecRun(join(data("scifact"), "runs", "bm25_top100.trec"));
    const dataset = await loadBeirDataset(data("scifact"), { split: "test" });
    const retriever = new RunFileRetriever({ run, queries: dataset.queries, corpus: dataset.corpus });
    const result = await evaluate({
      queries: dataset.queries,
      qrels: dataset.qrels,
      retriever,
      metrics: ["ndcg@10", "recall@100"],
      keepRankings: false,
    });
    expect(result.queriesEvaluated).toBe(300);
    const [firstStage] = result.configurations;
    expect(round4(firstStage?.mean["ndcg@10"])).toBe(0.6627);
    expect(round4(firstStage?.mean["recall@100"])).toBe(0.8859);
    // Same figures straight from the run file: the retriever replays the run in trec_eval order.
    const direct = evaluateRun(run, dataset.qrels, ["ndcg@10", "recall@100"]);
    expect(firstStage?.mean).toEqual(direct.mean);
  });
});
