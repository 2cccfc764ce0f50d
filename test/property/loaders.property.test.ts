import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadCorpus, loadQueries } from "../../src/eval/data/beir.js";
import { DatasetError } from "../../src/eval/index.js";
import type { RunEntry } from "../../src/eval/stats/metrics.js";
import { formatTrecRun, loadQrels, loadTrecRun } from "../../src/eval/data/trec.js";

// The TREC/BEIR loaders either parse a file or fail with a DatasetError that names the file and the line (or the
// file alone for a whole-file problem, such as no entries): never a raw TypeError or a stack from deep inside.

const dir = mkdtempSync(join(tmpdir(), "rerank-loaders-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function write(lines: readonly string[], eol: string): string {
  const file = join(dir, `f${fileCount++}.txt`);
  writeFileSync(file, lines.join(eol));
  return file;
}

/** Resolves, or rejects with `file:line: ` (line within the file) or `file: `: anything else fails the property. */
async function parsesOrNamesTheLine(
  load: (file: string) => Promise<unknown>,
  file: string,
  lineCount: number,
  wellFormed: (value: unknown) => boolean,
): Promise<void> {
  try {
    const value = await load(file);
    expect(wellFormed(value), "what it parsed is well formed").toBe(true);
  } catch (error) {
    if (!(error instanceof DatasetError)) throw new Error(`not a DatasetError: ${String(error)}`, { cause: error });
    const match = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?::(\\d+))?: \\S`).exec(error.message);
    expect(match, error.message).not.toBeNull();
    if (match![1] !== undefined) {
      expect(Number(match![1])).toBeGreaterThanOrEqual(1);
      expect(Number(match![1])).toBeLessThanOrEqual(lineCount);
      expect(error.line).toBe(Number(match![1]));
    }
    expect(error.file).toBe(file);
  }
}

const token = fc.oneof(fc.constantFrom("q1", "Q0", "d7", "0", "1", "2", "-1", "3.5", "NaN", "1e309", "run", "", "\t"), fc.string({ maxLength: 6 }));
const fuzzLine = fc.oneof(
  fc.array(token, { maxLength: 8 }).map((fields) => fields.join(" ")),
  fc.array(token, { maxLength: 5 }).map((fields) => fields.join("\t")),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);
const runLine = fc
  .tuple(
    fc.constantFrom("q1", "q2", "3"),
    fc.constantFrom("d1", "d2", "d3", "d4", "doc-5"),
    fc.integer({ min: 1, max: 100 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  )
  .map(([q, d, rank, score]) => `${q} Q0 ${d} ${rank} ${score} bm25`);
const qrelsLine = fc
  .tuple(fc.constantFrom("q1", "q2", "3"), fc.constantFrom("d1", "d2", "d3", "doc-5"), fc.integer({ min: -1, max: 3 }), fc.boolean())
  .map(([q, d, label, trec]) => (trec ? `${q} 0 ${d} ${label}` : `${q}\t${d}\t${label}`));
const jsonLine = fc.oneof(
  fc
    .record({
      _id: fc.oneof(fc.constantFrom("d1", "d2", "7"), fc.integer(), fc.constant(null)),
      title: fc.option(fc.string({ maxLength: 10 })),
      text: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
    })
    .map((r) => JSON.stringify(r)),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 30 }),
);
const linesOf = (valid: fc.Arbitrary<string>) =>
  fc.record({
    lines: fc.array(fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: fuzzLine, weight: 1 }), { maxLength: 15 }),
    eol: fc.constantFrom("\n", "\r\n"),
  });

describe("TREC and BEIR loaders (property)", () => {
  const nonEmptyIds = (map: Map<string, unknown>) => [...map.keys()].every((id) => typeof id === "string" && id.trim() !== "");
  const loaders: Array<[string, (file: string) => Promise<unknown>, fc.Arbitrary<string>, (value: unknown) => boolean]> = [
    [
      "loadTrecRun",
      loadTrecRun,
      runLine,
      (run) =>
        nonEmptyIds(run as Map<string, unknown>) &&
        [...(run as Map<string, RunEntry[]>).values()].flat().every((e) => Number.isFinite(e.score) && e.docId !== ""),
    ],
    [
      "loadQrels",
      loadQrels,
      qrelsLine,
      (qrels) =>
        nonEmptyIds(qrels as Map<string, unknown>) &&
        [...(qrels as Map<string, Map<string, number>>).values()].every((j) => [...j.values()].every(Number.isInteger)),
    ],
    [
      "loadCorpus",
      (file) => loadCorpus(file),
      jsonLine,
      (corpus) =>
        nonEmptyIds(corpus as Map<string, unknown>) &&
        [...(corpus as Map<string, { title: unknown; text: unknown }>).values()].every(
          (d) => typeof d.title === "string" && typeof d.text === "string",
        ),
    ],
    [
      "loadQueries",
      loadQueries,
      jsonLine,
      (queries) =>
        nonEmptyIds(queries as Map<string, unknown>) && [...(queries as Map<string, unknown>).values()].every((t) => typeof t === "string"),
    ],
  ];

  it.each(loaders)("%s parses a well-formed result or fails with file:line, never a raw error", async (_, load, valid, wellFormed) => {
    await fc.assert(
      fc.asyncProperty(linesOf(valid), async ({ lines, eol }) => {
        await parsesOrNamesTheLine(load, write(lines, eol), Math.max(1, lines.length), wellFormed);
      }),
      { numRuns: 120 },
    );
  });

  it("a run written by formatTrecRun reads back as the same entries", async () => {
    const entriesArb = fc.uniqueArray(
      fc.record({ docId: fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), score: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
      {
        minLength: 1,
        maxLength: 10,
        selector: (e) => e.docId,
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/), entriesArb, { minKeys: 1, maxKeys: 4 }), async (object) => {
        const rankings = new Map<string, RunEntry[]>(Object.entries(object));
        const file = join(dir, `round-trip-${fileCount++}.txt`);
        writeFileSync(file, formatTrecRun(rankings));
        const run = await loadTrecRun(file);
        expect([...run.keys()].sort()).toEqual([...rankings.keys()].sort());
        for (const [query, entries] of rankings)
          expect(run.get(query)).toEqual(entries.map((e) => ({ docId: e.docId, score: e.score === 0 ? 0 : e.score })));
      }),
      { numRuns: 80 },
    );
  });
});
