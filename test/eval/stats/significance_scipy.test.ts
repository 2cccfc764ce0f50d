import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { beforeAll, expect, it } from "vitest";
import { documentText, loadBeirDataset } from "../../../src/eval/data/beir.js";
import { OkapiBm25Retriever } from "../../../src/retrievers/okapi_bm25_retriever.js";
import { evaluate } from "../../../src/eval/evaluate.js";
import { evaluateRun } from "../../../src/eval/stats/metrics.js";
import { pairedTTest } from "../../../src/eval/stats/significance.js";
import { loadTrecRun } from "../../../src/eval/data/trec.js";
import { SHARED_DIR, describeWithShared } from "../../support/shared.js";

// The paired t-test against scipy.stats.ttest_rel on real per-query vectors, computed at test time: for DL19,
// DL20 and SciFact, the shipped BM25 run against the built-in OkapiBm25Retriever, per query and measure.
// Debian's python3-scipy (/usr/bin/python3) is the reference; CI installs it (.ci/run).

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import scipy"], { encoding: "utf8" });
const hasScipy = probe.status === 0;
if (!hasScipy && process.env.CI) throw new Error(`significance_scipy: ${PYTHON} cannot import scipy, but CI installs python3-scipy (.ci/run).`);

const COLLECTIONS = [
  { name: "trec-dl-2019", relThreshold: 2 },
  { name: "trec-dl-2020", relThreshold: 2 },
  { name: "scifact", relThreshold: 1 },
];
const MEASURES = ["ndcg@10", "mrr@10", "recall@100", "map@100"];

interface Vector {
  label: string;
  a: number[];
  b: number[];
}

/** Built-in BM25 (a) against the shipped run (b), per query, for every measure. */
async function vectors(name: string, relThreshold: number): Promise<Vector[]> {
  const dir = join(SHARED_DIR, "data", name);
  const data = await loadBeirDataset(dir, { split: "test" });
  const documents = [...data.corpus].map(([id, doc]) => new Document({ id, pageContent: documentText(doc), metadata: { id } }));
  const builtIn = await evaluate({
    queries: data.queries,
    qrels: data.qrels,
    retriever: OkapiBm25Retriever.fromDocuments(documents, { k: 100 }),
    metrics: MEASURES,
    relThreshold,
    keepRankings: false,
  });
  const shipped = evaluateRun(await loadTrecRun(join(dir, "runs", "bm25_top100.trec")), data.qrels, MEASURES, {
    relThreshold,
    completeQueries: true,
  });
  return MEASURES.map((m) => ({
    label: `${name} ${m}`,
    a: builtIn.perQuery.map((q) => q.configurations["first-stage"]?.metrics[m] as number),
    b: builtIn.perQuery.map((q) => shipped.perQuery.get(q.queryId)?.[m] as number),
  }));
}

const SCIPY = `
import json, sys
from scipy import stats
out = []
for v in json.load(sys.stdin):
    r = stats.ttest_rel(v["a"], v["b"])
    out.append({"label": v["label"], "t": float(r.statistic), "p": float(r.pvalue)})
print(json.dumps(out))
`;

describeWithShared(
  hasScipy ? "paired t-test = scipy.stats.ttest_rel on real runs" : "paired t-test = scipy [skipped: /usr/bin/python3 has no scipy]",
  () => {
    let all: Vector[] = [];
    let reference: { label: string; t: number; p: number }[] = [];

    beforeAll(async () => {
      if (!hasScipy) return;
      all = (await Promise.all(COLLECTIONS.map((c) => vectors(c.name, c.relThreshold)))).flat();
      const python = spawnSync(PYTHON, ["-c", SCIPY], { input: JSON.stringify(all), encoding: "utf8" });
      if (python.status !== 0) throw new Error(`scipy failed: ${python.stderr}`);
      reference = JSON.parse(python.stdout) as typeof reference;
    }, 120_000);

    it.runIf(hasScipy)("t and p within 1e-9 on DL19, DL20 and SciFact (built-in BM25 vs the shipped run, 4 measures each)", () => {
      expect(all.map((v) => v.a.length)).toEqual([43, 43, 43, 43, 54, 54, 54, 54, 300, 300, 300, 300]);
      let differing = 0;
      for (const [i, v] of all.entries()) {
        const ours = pairedTTest(v.a, v.b);
        const ref = reference[i] as { label: string; t: number; p: number };
        expect(ref.label).toBe(v.label);
        expect(Number.isFinite(ref.p), `${v.label}: scipy gave no p-value`).toBe(true);
        expect(Math.abs(ours.statistic - ref.t), `${v.label}: t ${ours.statistic} vs scipy ${ref.t}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(ref.t)),
        );
        expect(Math.abs(ours.pValue - ref.p), `${v.label}: p ${ours.pValue} vs scipy ${ref.p}`).toBeLessThanOrEqual(1e-9);
        if (v.a.some((x, j) => x !== v.b[j])) differing += 1;
      }
      expect(differing).toBe(all.length); // real differences: no vector is the trivial all-ties case
    });
  },
);
