import { describe, expect, it } from "vitest";
import { calibrate, splitQueries } from "../../../src/eval/calibration/calibrate.js";
import { CalibrationError } from "../../../src/eval/calibration/fit.js";
import { applyCalibrationMap } from "../../../src/scorers/calibration.js";
import { CURVES, syntheticLabels } from "../../../scripts/calibration_labels_needed.js";

const MODEL = { modelName: "synthetic", scoreMode: null };

describe("splitQueries", () => {
  const ids = Array.from({ length: 10 }, (_, i) => `q${i}`);
  it("splits by query, seeded: the same seed gives the same halves whatever the input order, another seed others", () => {
    const a = splitQueries(ids, 42, 0.5);
    expect(a.dev).toHaveLength(5);
    expect([...a.dev, ...a.heldOut].sort()).toEqual([...ids].sort());
    expect(splitQueries([...ids].reverse(), 42, 0.5)).toEqual(a);
    expect(splitQueries(ids, 7, 0.5).heldOut).not.toEqual(a.heldOut);
  });
  it("one query cannot be held out: a clear error", () => {
    expect(() => splitQueries(["q1", "q1"], 42, 0.5)).toThrow(/1 query; a held-out measure needs at least two/);
  });
});

describe("calibrate", () => {
  const logistic = syntheticLabels(CURVES.logistic!, 60, 3);

  it("writes a calibration file that names the model, the relevant label, the data, the choice and the held-out measures", () => {
    const { calibration, report } = calibrate(logistic, { model: MODEL, relevantLabel: 2, fittedOn: { dataset: "synthetic" } });
    expect(calibration.format).toBe("langchain-rerank/calibration@1");
    expect(calibration.model).toEqual(MODEL);
    expect(calibration.relevantLabel).toBe(2);
    expect(calibration.fittedOn).toMatchObject({ dataset: "synthetic", seed: 42, heldOutFraction: 0.5, devQueries: 30, devCandidates: 900 });
    expect(calibration.choice).toMatchObject({ method: "platt" });
    expect(report.heldOut).toMatchObject({ queries: 30, candidates: 900 });
    expect(report.rows.map((r) => r.name)).toEqual(["before", "base rate", "platt", "isotonic"]);
    // The scores (−3..3) are not probabilities: "before" reads them through a sigmoid, and calibration helps.
    expect(report.before).toBe("sigmoid of scores");
    const [before, baseRate, platt] = report.rows;
    expect(platt!.chosen).toBe(true);
    expect(platt!.measures.logLoss).toBeLessThan(baseRate!.measures.logLoss);
    expect(platt!.measures.ece).toBeLessThan(0.05);
    expect(platt!.measures.ece).toBeLessThan(before!.measures.ece);
    expect(calibration.heldOut).toMatchObject({ after: { ece: platt!.measures.ece }, before: { ece: before!.measures.ece } });
  });

  it("chooses isotonic where the truth is not logistic (a step), and a given method always", () => {
    const step = syntheticLabels(CURVES.step!, 100, 4);
    expect(calibrate(step, { model: MODEL, relevantLabel: 1 }).report.method).toBe("isotonic");
    expect(calibrate(logistic, { model: MODEL, relevantLabel: 1, method: "isotonic" }).calibration.map.method).toBe("isotonic");
  });

  it("fits Platt on the logit of 0–1 scores (score mode sigmoid), on the score otherwise", () => {
    const probabilities = logistic.map((p) => ({ ...p, score: 1 / (1 + Math.exp(-p.score)) }));
    const { calibration, report } = calibrate(probabilities, { model: { modelName: "m", scoreMode: "sigmoid" }, relevantLabel: 1 });
    expect(calibration.map).toMatchObject({ method: "platt", input: "logit" });
    expect(report.before).toBe("scores");
    // logit(sigmoid(s)) = s: the same fit as on the raw scores.
    const raw = calibrate(logistic, { model: MODEL, relevantLabel: 1 }).calibration.map;
    expect((calibration.map as { slope: number }).slope).toBeCloseTo((raw as { slope: number }).slope, 9);
  });

  it("perfectly separating dev scores: auto falls back to isotonic with a note; platt asked for is an error", () => {
    const separated = syntheticLabels(() => 0, 10, 5).map((p) => ({ ...p, relevant: p.score > 1 }));
    const { report } = calibrate(separated, { model: MODEL, relevantLabel: 1 });
    expect(report.method).toBe("isotonic");
    expect(report.notes.join(" ")).toMatch(/platt: .*separate relevant from non-relevant/);
    expect(() => calibrate(separated, { model: MODEL, relevantLabel: 1, method: "platt" })).toThrow(CalibrationError);
  });

  it("refuses NaN scores, one query, and dev queries with one class only", () => {
    const nan = logistic.map((p, i) => (i === 7 ? { ...p, score: Number.NaN } : p));
    expect(() => calibrate(nan, { model: MODEL, relevantLabel: 1 })).toThrow(/score 7 \(query q0\) is NaN/);
    expect(() =>
      calibrate(
        logistic.filter((p) => p.queryId === "q0"),
        { model: MODEL, relevantLabel: 1 },
      ),
    ).toThrow(/needs at least two/);
    const none = logistic.map((p) => ({ ...p, relevant: false }));
    expect(() => calibrate(none, { model: MODEL, relevantLabel: 1 })).toThrow(/the 30 dev queries.*all 900 candidates are non-relevant/);
    const all = logistic.map((p) => ({ ...p, relevant: true }));
    expect(() => calibrate(all, { model: MODEL, relevantLabel: 1 })).toThrow(/all 900 candidates are relevant/);
  });

  it("constant scores: Platt is left out (a note says why), isotonic gives the base rate", () => {
    const constant = logistic.map((p) => ({ ...p, score: 0.3 }));
    const { calibration, report } = calibrate(constant, { model: MODEL, relevantLabel: 1 });
    expect(calibration.map).toMatchObject({ method: "isotonic", x: [0.3] });
    expect(report.notes.join(" ")).toMatch(/every score is 0.3/);
    expect(report.rows.map((r) => r.name)).toEqual(["before", "base rate", "isotonic"]);
  });
});

describe("a calibrated threshold of 0.5 means the same for two differently scaled scorers of equal ranking quality", () => {
  // Scorer A gives s − 2 for s in [−3, 3]; scorer B gives 10·e^s (0.5 to 200): the same ranking on two scales. The truth:
  // P(relevant | s) = sigmoid(2s − 1), so "more likely relevant than not" is s > 0.5.
  const truth = syntheticLabels(CURVES.logistic!, 200, 11);
  const a = truth.map((p) => ({ ...p, score: p.score - 2 }));
  const b = truth.map((p) => ({ ...p, score: 10 * Math.exp(p.score) }));
  const share = (points: typeof a, keep: (score: number) => boolean) => {
    const relevant = points.filter((p) => p.relevant);
    return relevant.filter((p) => keep(p.score)).length / relevant.length;
  };

  const { heldOut } = splitQueries(
    truth.map((p) => p.queryId),
    42,
    0.5,
  );
  const held = new Set(heldOut);
  const [heldA, heldB, heldTruth] = [a, b, truth].map((points) => points.filter((p) => held.has(p.queryId))) as [typeof a, typeof a, typeof a];
  const calibratedShare = (points: typeof a, heldPoints: typeof a, method: "auto" | "isotonic") => {
    const map = calibrate(points, { model: MODEL, relevantLabel: 1, method }).calibration.map;
    return share(heldPoints, (s) => applyCalibrationMap(map, s) >= 0.5);
  };

  it("raw scores at 0.5 keep very different shares of the held-out relevant documents", () => {
    expect(share(heldB, (s) => s >= 0.5) - share(heldA, (s) => s >= 0.5)).toBeGreaterThan(0.5);
  });

  it("isotonic calibrations keep the same share (ranks are all it sees)", () => {
    expect(Math.abs(calibratedShare(a, heldA, "isotonic") - calibratedShare(b, heldB, "isotonic"))).toBeLessThan(0.005);
  });

  it("auto (Platt for A, isotonic for B's curved scale) keeps the same share within 0.03, each within 0.05 of the truth's", () => {
    const truthShare = share(heldTruth, (s) => s >= 0.5);
    const [calA, calB] = [calibratedShare(a, heldA, "auto"), calibratedShare(b, heldB, "auto")];
    expect(Math.abs(calA - calB)).toBeLessThan(0.03);
    expect(Math.abs(calA - truthShare)).toBeLessThan(0.05);
    expect(Math.abs(calB - truthShare)).toBeLessThan(0.05);
  });
});
