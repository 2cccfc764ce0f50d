import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CalibrationPoint, calibrate } from "../../../src/eval/calibration/calibrate.js";
import { CalibratedCrossEncoder } from "../../../src/scorers/calibrated_cross_encoder.js";
import { HuggingFaceCrossEncoder } from "../../../src/local/cross_encoder/huggingface_cross_encoder.js";
import { createPrng } from "../../../src/eval/stats/prng.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";
import { oneErrorLine, rerankEval, rerankEvalSync } from "../../support/rerank_eval.js";
import { SHARED_DIR, describeWithShared } from "../../support/shared.js";

// rerank-eval --calibrate, end to end: the bar of issue 29 is the TREC DL 2019 BM25 command below.

const out = mkdtempSync(join(tmpdir(), "rerank-eval-calibrate-"));

/** 40 queries of 20 candidates, a TREC run whose scores s in [0, 10] make a candidate relevant with P = sigmoid(s − 6). */
function syntheticDataset(): { dir: string; run: string; points: CalibrationPoint[] } {
  const dir = mkdtempSync(join(tmpdir(), "rerank-eval-calibration-data-"));
  mkdirSync(join(dir, "qrels"));
  const random = createPrng(29);
  const corpus: string[] = [];
  const queries: string[] = [];
  const qrels = ["query-id\tcorpus-id\tscore"];
  const run: string[] = [];
  const points: CalibrationPoint[] = [];
  for (let q = 0; q < 40; q++) {
    queries.push(JSON.stringify({ _id: `q${q}`, text: `query ${q}` }));
    const scores = Array.from({ length: 20 }, () => random() * 10).sort((a, b) => b - a);
    scores.forEach((s, d) => {
      const id = `d${q}_${d}`;
      corpus.push(JSON.stringify({ _id: id, title: "", text: `document ${id}` }));
      const relevant = random() < 1 / (1 + Math.exp(-(s - 6)));
      if (relevant) qrels.push(`q${q}\t${id}\t1`);
      run.push(`q${q} Q0 ${id} ${d + 1} ${s.toFixed(6)} synthetic`);
      points.push({ queryId: `q${q}`, score: Number(s.toFixed(6)), relevant });
    });
  }
  writeFileSync(join(dir, "corpus.jsonl"), `${corpus.join("\n")}\n`);
  writeFileSync(join(dir, "queries.jsonl"), `${queries.join("\n")}\n`);
  writeFileSync(join(dir, "qrels", "test.tsv"), `${qrels.join("\n")}\n`);
  writeFileSync(join(dir, "run.trec"), `${run.join("\n")}\n`);
  return { dir, run: join(dir, "run.trec"), points };
}

describe("rerank-eval --calibrate: usage mistakes exit 2 with one line", () => {
  it.each([
    [["--calibration-method", "platt"], "--calibration-method goes with --calibrate FILE."],
    [["--calibrate", "c.json", "--calibration-method", "beta"], '--calibration-method must be auto, platt or isotonic, got "beta".'],
    [["--calibrate", "c.json", "--reranker", "cross-encoder:a", "--reranker", "cross-encoder:b"], "--calibrate calibrates one scorer"],
  ])("%j", (flags, message) => {
    const { code, stderr } = rerankEvalSync(["--dataset", "x", ...flags]);
    expect(code).toBe(2);
    expect(oneErrorLine(stderr).startsWith(message)).toBe(true);
  });

  it("--help lists them", () => {
    const { stdout } = rerankEvalSync(["--help"]);
    expect(stdout).toContain("--calibrate FILE");
    expect(stdout).toContain("--calibration-method M");
  });
});

describe("rerank-eval --calibrate on first-stage scores with a known calibration curve", () => {
  it("writes the calibration file, the before/after table, and the same numbers as the library", async () => {
    const { dir, run, points } = syntheticDataset();
    const [file, json] = [join(out, "synthetic.json"), join(out, "synthetic-summary.json")];
    const { code, stdout, stderr } = await rerankEval([
      "--dataset",
      dir,
      "--run",
      run,
      "--depth",
      "20",
      "--calibrate",
      file,
      "--json",
      json,
      "--quiet",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const calibration = JSON.parse(readFileSync(file, "utf8"));
    expect(calibration).toMatchObject({
      format: "langchain-rerank/calibration@1",
      model: { modelName: "first stage: run run.trec (top 20)", scoreMode: null },
      relevantLabel: 1,
      fittedOn: { split: "test", configuration: "none", seed: 42, devQueries: 20, devCandidates: 400, unjudged: "not relevant" },
      choice: { method: "platt" },
    });
    // The truth is sigmoid(s − 6): Platt on the score recovers slope ≈ 1 and intercept ≈ −6.
    expect(calibration.map.slope).toBeGreaterThan(0.6);
    expect(calibration.map.slope).toBeLessThan(1.6);
    expect(calibration.map.intercept / calibration.map.slope).toBeCloseTo(-6, 0);
    expect(stdout).toMatch(/^Calibration of none \(relevant: label ≥ 1\): platt on the score/m);
    expect(stdout).toMatch(/^platt \(chosen\) +0\.\d{4} +0\.\d{4} +0\.\d{4}$/m);
    expect(stdout).toContain(`Calibration written to ${file}.`);
    // --json holds the report; the file's fit is the library's on the same points.
    const summary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary.calibration.rows.map((r: { name: string }) => r.name)).toEqual(["before", "base rate", "platt", "isotonic"]);
    const library = calibrate(points, { model: calibration.model, relevantLabel: 1 });
    expect(calibration.map).toEqual(library.calibration.map);
    expect(summary.calibration.heldOut).toEqual({ queries: 20, candidates: 400, relevant: calibration.heldOut.relevant });
    expect(calibration.heldOut.after.ece).toBe(summary.calibration.rows[2].measures.ece);
  });
});

describe("rerank-eval --calibrate with a local cross-encoder (random-weight fixture: it calibrates to about the base rate)", () => {
  it("records the scorer's cacheKey and score mode, which CalibratedCrossEncoder checks", async () => {
    const { dir, run } = syntheticDataset();
    const file = join(out, "fixture.json");
    const args = ["--dataset", dir, "--run", run, "--depth", "20", "--limit", "12", "--reranker", "cross-encoder", "--model", FIXTURE_RERANKER];
    const { code, stderr } = await rerankEval([...args, "--calibrate", file, "--calibration-method", "isotonic", "--quiet"]);
    expect(code, stderr).toBe(0);
    const calibration = JSON.parse(readFileSync(file, "utf8"));
    const scorer = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER });
    expect(calibration.model).toEqual({ cacheKey: scorer.cacheKey, modelName: scorer.modelName, scoreMode: "sigmoid" });
    expect(calibration.map.method).toBe("isotonic");
    expect(() => new CalibratedCrossEncoder({ model: scorer, calibration })).not.toThrow();
    const raw = new HuggingFaceCrossEncoder({ model: FIXTURE_RERANKER, scoreMode: "raw" });
    expect(() => new CalibratedCrossEncoder({ model: raw, calibration })).toThrow(/fitted for score mode "sigmoid", but the scorer scores in "raw"/);
  });
});

describeWithShared("rerank-eval --calibrate on TREC DL 2019 BM25 (the bar)", () => {
  it("writes a calibration file and a report with ECE, Brier and log loss before/after on held-out queries, and the reliability diagram", async () => {
    const dl19 = join(SHARED_DIR, "data", "trec-dl-2019");
    const [file, report, chart, json] = ["dl19-cal.json", "dl19-cal.md", "dl19-cal.svg", "dl19-cal-summary.json"].map((f) =>
      join(out, f),
    ) as string[];
    const { code, stderr } = await rerankEval([
      ...["--dataset", dl19, "--run", join(dl19, "runs", "bm25_top100.trec"), "--rel-threshold", "2", "--metrics", "ndcg@10"],
      ...["--calibrate", file!, "--report", report!, "--chart", chart!, "--json", json!, "--quiet"],
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const calibration = JSON.parse(readFileSync(file!, "utf8"));
    expect(calibration).toMatchObject({ relevantLabel: 2, fittedOn: { dataset: "trec-dl-2019", devQueries: 21 }, heldOut: { queries: 22 } });
    for (const side of ["before", "after"]) expect(Object.keys(calibration.heldOut[side])).toEqual(["ece", "brier", "logLoss"]);
    const md = readFileSync(report!, "utf8");
    expect(md).toContain("## Calibration");
    expect(md).toMatch(/^\| held out \| ECE \| Brier \| log loss \|$/m);
    expect(md).toMatch(/^\| before \| 0\.\d{4} \| 0\.\d{4} \| \d+\.\d{4} \|$/m);
    expect(md).toContain("Reliability on the held-out queries");
    expect(readFileSync(chart!, "utf8")).toContain("Reliability of none on 22 held-out queries (10 equal-mass bins)");
    const summary = JSON.parse(readFileSync(json!, "utf8"));
    expect(summary.calibration.method).toBe(calibration.map.method);
  });
});
