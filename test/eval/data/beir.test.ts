import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { documentText, loadBeirDataset, loadCorpus, loadQueries } from "../../../src/eval/data/beir.js";

function dataset(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "rerank-beir-"));
  mkdirSync(join(dir, "qrels"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const CORPUS = '{"_id": "d1", "title": "Cells", "text": "Cells divide."}\n{"_id": 2, "text": "No title here."}\n';
const QUERIES = '{"_id": "q1", "text": "do cells divide"}\n{"_id": "q2", "text": "other split"}\n{"_id": "q3", "text": "unjudged"}\n';

describe("loadBeirDataset", () => {
  it("loads corpus, the split's queries and qrels; numeric ids become strings", async () => {
    const dir = dataset({ "corpus.jsonl": CORPUS, "queries.jsonl": QUERIES, "qrels/test.tsv": "query-id\tcorpus-id\tscore\nq1\td1\t1\n" });
    const data = await loadBeirDataset(dir);
    expect(data.split).toBe("test");
    expect([...data.queries]).toEqual([["q1", "do cells divide"]]);
    expect(data.corpus.get("d1")).toEqual({ title: "Cells", text: "Cells divide." });
    expect(data.corpus.get("2")).toEqual({ title: "", text: "No title here." });
    expect(documentText(data.corpus.get("d1")!)).toBe("Cells Cells divide.");
    expect(documentText(data.corpus.get("2")!)).toBe("No title here.");
  });

  it("finds TREC-layout qrels as qrels/<split>.trec.txt", async () => {
    const dir = dataset({ "corpus.jsonl": CORPUS, "queries.jsonl": QUERIES, "qrels/dev.trec.txt": "q2 0 d1 3\n" });
    const data = await loadBeirDataset(dir, { split: "dev" });
    expect(data.qrels.get("q2")).toEqual(new Map([["d1", 3]]));
  });

  it("keeps only the requested corpus ids", async () => {
    const dir = dataset({ "corpus.jsonl": CORPUS });
    expect([...(await loadCorpus(join(dir, "corpus.jsonl"), { ids: new Set(["2"]) })).keys()]).toEqual(["2"]);
  });

  it("explains a missing folder, a missing split and a query absent from queries.jsonl", async () => {
    await expect(loadBeirDataset("/nonexistent/scifact")).rejects.toThrow(
      "/nonexistent/scifact: dataset folder not found: expected a folder with corpus.jsonl, queries.jsonl and qrels/.",
    );
    const dir = dataset({ "corpus.jsonl": CORPUS, "queries.jsonl": QUERIES, "qrels/train.tsv": "q1\td1\t1\n", "qrels/dev.tsv": "q1\td1\t1\n" });
    await expect(loadBeirDataset(dir)).rejects.toThrow(`no qrels for split "test" in ${join(dir, "qrels")}; available splits: dev, train.`);
    const missing = dataset({ "corpus.jsonl": CORPUS, "queries.jsonl": QUERIES, "qrels/test.tsv": "q7\td1\t1\n" });
    await expect(loadBeirDataset(missing)).rejects.toThrow(/query q7 is judged in .*test.tsv but missing from queries.jsonl/);
  });

  it("names the file and line of malformed JSON lines", async () => {
    const bad = dataset({ "corpus.jsonl": '{"_id": "d1", "text": "ok"}\n{"_id": "d2", "text": "cut\n' });
    await expect(loadCorpus(join(bad, "corpus.jsonl"))).rejects.toThrow(
      new RegExp(`${join(bad, "corpus.jsonl")}:2: expected one JSON object per line: `),
    );
    const noId = dataset({ "corpus.jsonl": '\n{"id": "d1", "text": "x"}\n' });
    await expect(loadCorpus(join(noId, "corpus.jsonl"))).rejects.toThrow(
      `${join(noId, "corpus.jsonl")}:2: expected an "_id" (string), got undefined.`,
    );
    const noText = dataset({ "corpus.jsonl": '{"_id": "d1", "title": "t"}\n' });
    await expect(loadCorpus(join(noText, "corpus.jsonl"))).rejects.toThrow(':1: expected a "text" string.');
    const twice = dataset({ "corpus.jsonl": '{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n' });
    await expect(loadCorpus(join(twice, "corpus.jsonl"))).rejects.toThrow(':2: document id "d1" appears twice.');
  });

  it("reads JSONL files that start with a byte-order mark (as Windows editors save them)", async () => {
    const dir = dataset({ "corpus.jsonl": '\uFEFF{"_id": "d1", "text": "x"}\r\n', "queries.jsonl": '\uFEFF{"_id": "q1", "text": "y"}\r\n' });
    expect([...(await loadCorpus(join(dir, "corpus.jsonl")))]).toEqual([["d1", { title: "", text: "x" }]]);
    expect([...(await loadQueries(join(dir, "queries.jsonl")))]).toEqual([["q1", "y"]]);
  });

  it("rejects a numeric id JSON cannot carry exactly, instead of renaming it", async () => {
    const dir = dataset({ "corpus.jsonl": '{"_id": 12345678901234567890, "text": "x"}\n' });
    await expect(loadCorpus(join(dir, "corpus.jsonl"))).rejects.toThrow(
      `${join(dir, "corpus.jsonl")}:1: "_id" 12345678901234567000 is a number that JSON cannot carry exactly here; write the id as a string`,
    );
    const fraction = dataset({ "queries.jsonl": '{"_id": 1.5, "text": "x"}\n' });
    await expect(loadQueries(join(fraction, "queries.jsonl"))).rejects.toThrow(/"_id" 1.5 is a number/);
  });
});
