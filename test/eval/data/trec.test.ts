import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../../src/errors.js";
import { DatasetError } from "../../../src/eval/data/lines.js";
import { formatTrecRun, loadQrels, loadTrecRun } from "../../../src/eval/data/trec.js";

const dir = mkdtempSync(join(tmpdir(), "rerank-trec-"));
let n = 0;
function file(text: string): string {
  const path = join(dir, `f${n++}.txt`);
  writeFileSync(path, text);
  return path;
}

describe("loadTrecRun", () => {
  it("reads query, document and score; keeps file order (ordering is trecOrder's job)", async () => {
    const run = await loadTrecRun(file("q1 Q0 d1 1 2.5 bm25\nq1 Q0 d2 2 -1e-3 bm25\r\n\nq2\tQ0\td3\t1\t7\tbm25\n"));
    expect([...run.keys()]).toEqual(["q1", "q2"]);
    expect(run.get("q1")).toEqual([
      { docId: "d1", score: 2.5 },
      { docId: "d2", score: -0.001 },
    ]);
    expect(run.get("q2")).toEqual([{ docId: "d3", score: 7 }]);
  });

  it("names the file, the line and what was expected for a malformed line", async () => {
    const path = file("q1 Q0 d1 1 2.5 bm25\nq1 Q0 d2 2 bm25\n");
    await expect(loadTrecRun(path)).rejects.toThrow(`${path}:2: expected 6 whitespace-separated fields "query-id Q0 doc-id rank score tag", got 5`);
    const badScore = file("q1 Q0 d1 1 high bm25\n");
    await expect(loadTrecRun(badScore)).rejects.toThrow(`${badScore}:1: expected a finite number as the score (5th field), got "high"`);
    const badRank = file("q1 Q0 d1 first 1 bm25\n");
    await expect(loadTrecRun(badRank)).rejects.toThrow(`${badRank}:1: expected an integer rank`);
  });

  it("rejects a document listed twice for a query, an empty run and a missing file", async () => {
    const twice = file("q1 Q0 d1 1 2 t\nq1 Q0 d1 2 1 t\n");
    await expect(loadTrecRun(twice)).rejects.toThrow(`${twice}:2: document d1 is listed twice for query q1`);
    await expect(loadTrecRun(file("\n"))).rejects.toThrow(/the run file has no entries/);
    const error = await loadTrecRun(join(dir, "nope.trec")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toBe(`${join(dir, "nope.trec")}: Run file not found.`);
  });

  it("round-trips through formatTrecRun", async () => {
    const text = formatTrecRun(
      new Map([
        [
          "q1",
          [
            { docId: "a", score: 3 },
            { docId: "b", score: 1.5 },
          ],
        ],
      ]),
      "mine",
    );
    expect(text).toBe("q1 Q0 a 1 3 mine\nq1 Q0 b 2 1.5 mine\n");
    expect((await loadTrecRun(file(text))).get("q1")).toEqual([
      { docId: "a", score: 3 },
      { docId: "b", score: 1.5 },
    ]);
  });
});

describe("loadQrels", () => {
  it("reads TREC qrels (qid iter docid label)", async () => {
    const qrels = await loadQrels(file("q1 0 d1 2\nq1 0 d2 0\nq2 Q0 d3 -1\n"));
    expect(qrels.get("q1")).toEqual(
      new Map([
        ["d1", 2],
        ["d2", 0],
      ]),
    );
    expect(qrels.get("q2")).toEqual(new Map([["d3", -1]]));
  });

  it("reads BEIR TSV qrels with their header", async () => {
    const qrels = await loadQrels(file("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\n"));
    expect(qrels.get("q1")).toEqual(
      new Map([
        ["d1", 1],
        ["d2", 2],
      ]),
    );
  });

  it("names the file and line of a malformed or inconsistent judgment", async () => {
    const mixed = file("q1 0 d1 2\nq1 d2 1\n");
    await expect(loadQrels(mixed)).rejects.toThrow(`${mixed}:2: expected 4 fields as "query-id 0 doc-id label" (TREC) like the lines before, got 3`);
    const fiveFields = file("q1 0 d1 2 extra\n");
    await expect(loadQrels(fiveFields)).rejects.toThrow(`${fiveFields}:1: expected qrels as "query-id 0 doc-id label" (TREC) or`);
    const label = file("query-id\tcorpus-id\tscore\nq1\td1\t0.5\n");
    await expect(loadQrels(label)).rejects.toThrow(`${label}:2: expected an integer relevance label (last field), got "0.5"`);
    const conflict = file("q1 0 d1 2\nq1 0 d1 1\n");
    await expect(loadQrels(conflict)).rejects.toThrow(`${conflict}:2: document d1 is judged twice for query q1 (labels 2 and 1)`);
  });
});

describe("Windows and odd spellings", () => {
  it("reads a run and qrels that start with a byte-order mark and use CRLF", async () => {
    const run = await loadTrecRun(file("\uFEFFq1 Q0 d1 1 2.5 tag\r\n\r\nq1 Q0 d2 2 1.5 tag\r\n"));
    expect(run.get("q1")).toEqual([
      { docId: "d1", score: 2.5 },
      { docId: "d2", score: 1.5 },
    ]);
    const qrels = await loadQrels(file("\uFEFFquery-id\tcorpus-id\tscore\r\nq1\td1\t1\r\n"));
    expect(qrels.get("q1")?.get("d1")).toBe(1);
  });

  it("rejects a hexadecimal or binary score, which trec_eval would not read as that number", async () => {
    const hex = file("q1 Q0 d1 1 0x10 tag\n");
    await expect(loadTrecRun(hex)).rejects.toThrow(`${hex}:1: expected a finite number as the score (5th field), got "0x10".`);
    await expect(loadTrecRun(file("q1 Q0 d1 1 0b1 tag\n"))).rejects.toThrow(DatasetError);
    const ok = await loadTrecRun(file("q1 Q0 d1 1 +.5 tag\nq1 Q0 d2 2 3. tag\nq1 Q0 d3 3 -2E-3 tag\n"));
    expect(ok.get("q1")?.map((e) => e.score)).toEqual([0.5, 3, -0.002]);
  });
});

describe("formatTrecRun", () => {
  it("refuses what would write an unreadable line: whitespace in an id or the tag, an empty id, a non-finite score", () => {
    const run = (docId: string, score = 1) => new Map([["q1", [{ docId, score }]]]);
    expect(() => formatTrecRun(run("doc one"))).toThrow(
      new InvalidOptionError(
        'formatTrecRun: the document id (query q1, entry 0) must be a non-empty string without whitespace (a TREC run separates fields by whitespace), got "doc one".',
      ),
    );
    expect(() => formatTrecRun(run("d1"), "my run")).toThrow(/the tag must be a non-empty string without whitespace/);
    expect(() => formatTrecRun(new Map([["", [{ docId: "d1", score: 1 }]]]))).toThrow(/the query id must be/);
    expect(() => formatTrecRun(run("d1", Number.NaN))).toThrow("formatTrecRun: the score of document d1 for query q1 is NaN, not a finite number.");
    expect(formatTrecRun(run("d1", 0.5), "t")).toBe("q1 Q0 d1 1 0.5 t\n");
  });
});
