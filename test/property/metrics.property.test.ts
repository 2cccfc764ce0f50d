import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateRun, parseMetric, type Qrels, queryMetrics, type Run, trecOrder } from "../../src/eval/stats/metrics.js";

// The metrics agree with a plain reference written from the trec_eval definitions, on random runs and qrels
// (scores drawn from a small set so ties, broken by document id descending, are common).

const DOC_IDS = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "D1", "a", "b"];
const METRICS = ["ndcg@1", "ndcg@5", "ndcg@10", "ndcg", "rr@3", "rr@10", "recall@5", "recall@100", "p@1", "p@5", "map@10", "map"];

/** Ranked document ids: score descending, then id descending by code unit, each id once. */
function referenceRanking(entries: readonly { docId: string; score: number }[]): string[] {
  const sorted = [...entries].sort((a, b) => {
    if (a.score !== b.score) return b.score - a.score;
    return a.docId === b.docId ? 0 : a.docId > b.docId ? -1 : 1;
  });
  const out: string[] = [];
  for (const { docId } of sorted) if (!out.includes(docId)) out.push(docId);
  return out;
}

function reference(ranking: readonly string[], qrels: ReadonlyMap<string, number>, metric: string, relThreshold: number): number {
  const { name, k } = parseMetric(metric);
  const top = k === undefined ? ranking : ranking.slice(0, k);
  const label = (id: string) => qrels.get(id) ?? 0;
  const relevant = [...qrels.values()].filter((l) => l >= relThreshold).length;
  switch (name) {
    case "ndcg": {
      const dcg = top.reduce((sum, id, i) => sum + Math.max(0, label(id)) / Math.log2(i + 2), 0);
      const gains = [...qrels.values()].filter((l) => l > 0).sort((a, b) => b - a);
      const idealGains = k === undefined ? gains : gains.slice(0, k);
      const idcg = idealGains.reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
      return idcg === 0 ? 0 : dcg / idcg;
    }
    case "rr": {
      for (let i = 0; i < top.length; i++) if (label(top[i]!) >= relThreshold) return 1 / (i + 1);
      return 0;
    }
    case "recall":
      return relevant === 0 ? 0 : top.filter((id) => label(id) >= relThreshold).length / relevant;
    case "precision": {
      const denominator = k ?? top.length;
      return denominator === 0 ? 0 : top.filter((id) => label(id) >= relThreshold).length / denominator;
    }
    case "map": {
      let sum = 0;
      for (let i = 0; i < top.length; i++) {
        if (label(top[i]!) < relThreshold) continue;
        const hitsSoFar = top.slice(0, i + 1).filter((id) => label(id) >= relThreshold).length;
        sum += hitsSoFar / (i + 1);
      }
      return relevant === 0 ? 0 : sum / relevant;
    }
  }
}

const entriesArb = fc.array(fc.record({ docId: fc.constantFrom(...DOC_IDS), score: fc.constantFrom(-1, 0, 0.5, 1, 2.25) }), { maxLength: 20 });
const judgmentsArb = fc
  .array(fc.tuple(fc.constantFrom(...DOC_IDS), fc.integer({ min: -1, max: 3 })), { maxLength: 10 })
  .map((pairs) => new Map(pairs));

describe("metrics (property)", () => {
  it("trecOrder ranks by score descending, ties by document id descending", () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const unique = [...new Map(entries.map((e) => [e.docId, e])).values()];
        expect(trecOrder(unique)).toEqual(referenceRanking(unique));
      }),
      { numRuns: 300 },
    );
  });

  it("queryMetrics agrees with the reference on every metric", () => {
    fc.assert(
      fc.property(entriesArb, judgmentsArb, fc.constantFrom(1, 2), (entries, judgments, relThreshold) => {
        const ranking = trecOrder(entries);
        const values = queryMetrics(ranking, judgments, METRICS.map(parseMetric), { relThreshold });
        for (const metric of METRICS) {
          expect(values[metric]).toBeCloseTo(reference(referenceRanking(entries), judgments, metric, relThreshold), 12);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("evaluateRun averages the reference over the judged queries (skipping unjudged, -c counting missing as 0)", () => {
    const queryIds = ["q1", "q2", "q3", "q4"];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...queryIds), entriesArb, { maxKeys: 4 }),
        fc.dictionary(fc.constantFrom(...queryIds), judgmentsArb, { maxKeys: 4 }),
        fc.boolean(),
        (runObject, qrelsObject, completeQueries) => {
          const run: Run = new Map(Object.entries(runObject).map(([q, entries]) => [q, [...new Map(entries.map((e) => [e.docId, e])).values()]]));
          const qrels: Qrels = new Map(Object.entries(qrelsObject));
          const result = evaluateRun(run, qrels, METRICS, { completeQueries });
          const evaluated = [...qrels].filter(([q, j]) => [...j.values()].some((l) => l > 0) && (completeQueries || run.has(q)));
          expect([...result.perQuery.keys()]).toEqual(evaluated.map(([q]) => q));
          for (const metric of METRICS) {
            const values = evaluated.map(([q, j]) => reference(referenceRanking(run.get(q) ?? []), j, metric, 1));
            const mean = values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
            expect(result.mean[metric]).toBeCloseTo(mean, 12);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
