import { describe, expect, it } from "vitest";
import type { Corpus } from "../../../src/eval/data/beir.js";
import { DatasetError } from "../../../src/eval/data/lines.js";
import type { Run } from "../../../src/eval/stats/metrics.js";
import { RunFileRetriever } from "../../../src/eval/data/run_file_retriever.js";

const corpus: Corpus = new Map([
  ["d1", { title: "T1", text: "one" }],
  ["d2", { title: "", text: "two" }],
  ["d3", { title: "T3", text: "three" }],
]);
const run: Run = new Map([
  [
    "q1",
    [
      { docId: "d2", score: 1 },
      { docId: "d3", score: 1 },
      { docId: "d1", score: 5 },
    ],
  ],
  ["q2", [{ docId: "d1", score: 1 }]],
  ["q9", [{ docId: "d1", score: 1 }]],
]);
const queries = new Map([
  ["q1", "first question"],
  ["q2", "second question"],
]);

describe("RunFileRetriever", () => {
  it("replays a query's candidates in trec_eval order with corpus text, id, score and rank", async () => {
    const retriever = new RunFileRetriever({ run, queries, corpus });
    const docs = await retriever.invoke("first question");
    expect(docs.map((d) => d.id)).toEqual(["d1", "d3", "d2"]);
    expect(docs.map((d) => d.pageContent)).toEqual(["T1 one", "T3 three", "two"]);
    expect(docs[1]?.metadata).toEqual({ id: "d3", retrievalScore: 1, retrievalRank: 2 });
    expect(retriever.queryIds).toEqual(["q1", "q2"]);
  });

  it("cuts at depth and accepts a custom page content", async () => {
    const retriever = new RunFileRetriever({ run, queries, corpus, depth: 2, pageContent: (d) => d.text });
    expect((await retriever.invoke("first question")).map((d) => d.pageContent)).toEqual(["one", "three"]);
    expect(() => new RunFileRetriever({ run, queries, corpus, depth: 0 })).toThrow("`depth` must be a positive integer");
  });

  it("fails clearly on an unknown query, a document missing from the corpus, and ambiguous texts", async () => {
    const retriever = new RunFileRetriever({ run, queries, corpus });
    await expect(retriever.invoke("never asked")).rejects.toThrow('no query in the run has the text "never asked"');
    // At construction, before any query is replayed (and reranked); only the documents within `depth` must exist.
    const missingRun = new Map([["q1", [{ docId: "d1", score: 2 }, ...["d404", "d405", "d406", "d407"].map((docId) => ({ docId, score: 1 }))]]]);
    expect(() => new RunFileRetriever({ run: missingRun, queries, corpus })).toThrow(
      "the run lists documents d407, d406, d405 and 1 more for query q1, but the corpus has no such document; pass the corpus the run was made from.",
    );
    const shallow = new RunFileRetriever({ run: missingRun, queries, corpus, depth: 1 });
    expect((await shallow.invoke("first question")).map((d) => d.id)).toEqual(["d1"]);
    const twins = new RunFileRetriever({
      run,
      queries: new Map([
        ["q1", "same"],
        ["q2", "same"],
      ]),
      corpus,
    });
    const error = await twins.invoke("same").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/queries q1, q2 share the text "same" but have different runs/);
  });
});
