import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { fitIsotonic, fitPlatt } from "../../../src/eval/calibration/fit.js";
import { createPrng } from "../../../src/eval/stats/prng.js";
import type { LabelledScore } from "../../../src/eval/threshold.js";
import { applyCalibrationMap, plattFeature } from "../../../src/scorers/calibration.js";

// Both fits against scikit-learn on the same data, computed at test time: Platt scaling against
// LogisticRegression(penalty=None) (newton-cg to a tight tolerance, so the reference is the optimum, not an early
// stop), isotonic regression against IsotonicRegression(out_of_bounds="clip"), predictions compared on the training
// scores and on a grid beyond both ends. Debian's python3-sklearn (/usr/bin/python3) is the reference; CI installs it.

const PYTHON = "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import sklearn"], { encoding: "utf8" });
const hasSklearn = probe.status === 0;
if (!hasSklearn && process.env.CI) throw new Error(`fit_sklearn: ${PYTHON} cannot import sklearn, but CI installs python3-sklearn (.ci/run).`);

const SCRIPT = `
import json, sys, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.isotonic import IsotonicRegression
out = []
for case in json.load(sys.stdin):
    x = np.array(case["x"], dtype=float); y = np.array(case["y"], dtype=float); grid = np.array(case["grid"], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(penalty=None, solver="newton-cg", tol=1e-14, max_iter=10000).fit(x.reshape(-1, 1), y)
    iso = IsotonicRegression(out_of_bounds="clip").fit(x, y)
    out.append({
        "slope": float(lr.coef_[0][0]), "intercept": float(lr.intercept_[0]),
        "platt": lr.predict_proba(grid.reshape(-1, 1))[:, 1].tolist(),
        "isotonic": iso.predict(grid).tolist(),
    })
json.dump(out, sys.stdout)
`;

interface Case {
  name: string;
  points: LabelledScore[];
  input: "score" | "logit";
}

/** Scores with a logistic relation to relevance, some rounded to make ties. */
function synthetic(name: string, seed: number, n: number, input: "score" | "logit", round?: number): Case {
  const random = createPrng(seed);
  const points: LabelledScore[] = [];
  for (let i = 0; i < n; i++) {
    let s = random() * 6 - 3;
    if (round !== undefined) s = Math.round(s * round) / round;
    const relevant = random() < 1 / (1 + Math.exp(-(1.7 * s - 0.8)));
    points.push({ score: input === "logit" ? 1 / (1 + Math.exp(-s)) : s * 4 + 10, relevant });
  }
  return { name, points, input };
}

const CASES: Case[] = [
  synthetic("raw scores, 400 candidates", 1, 400, "score"),
  synthetic("0–1 scores on their logit, 300 candidates", 2, 300, "logit"),
  synthetic("many ties (scores rounded to 0.5)", 3, 500, "score", 2),
  synthetic("small: 25 candidates", 4, 25, "score"),
  {
    name: "hand case with violators and ties",
    input: "score",
    points: [0.1, 0.2, 0.2, 0.3, 0.5, 0.5, 0.5, 0.7, 0.9, 1.3].map((score, i) => ({ score, relevant: [0, 1, 0, 0, 1, 0, 1, 0, 1, 1][i] === 1 })),
  },
];

describe.runIf(hasSklearn)(
  hasSklearn ? "calibration fits equal scikit-learn's" : "calibration fits [skipped: /usr/bin/python3 has no sklearn]",
  () => {
    const grids = CASES.map((c) => {
      const features = c.points.map((p) => p.score);
      const lo = Math.min(...features);
      const hi = Math.max(...features);
      const span = hi - lo;
      const grid = [...features, ...Array.from({ length: 41 }, (_, i) => lo - 0.25 * span + (1.5 * span * i) / 40)];
      return c.input === "logit" ? grid.map((g) => Math.min(1, Math.max(0, g))) : grid;
    });
    const reference = (() => {
      const input = CASES.map((c, k) => ({
        x: c.points.map((p) => plattFeature(c.input, p.score)),
        y: c.points.map((p) => (p.relevant ? 1 : 0)),
        grid: (grids[k] as number[]).map((g) => plattFeature(c.input, g)),
        isoX: c.points.map((p) => p.score),
      }));
      // Isotonic is fitted on the scores themselves (a monotone transform of them fits the same steps but interpolates differently).
      const run = spawnSync(PYTHON, ["-c", SCRIPT], {
        input: JSON.stringify(input.map((c, k) => ({ x: c.x, y: c.y, grid: c.grid, _k: k }))),
        encoding: "utf8",
        maxBuffer: 1 << 26,
      });
      if (run.status !== 0) throw new Error(run.stderr);
      const iso = spawnSync(PYTHON, ["-c", SCRIPT], {
        input: JSON.stringify(input.map((c, k) => ({ x: c.isoX, y: c.y, grid: grids[k] }))),
        encoding: "utf8",
        maxBuffer: 1 << 26,
      });
      if (iso.status !== 0) throw new Error(iso.stderr);
      const platt = JSON.parse(run.stdout) as { slope: number; intercept: number; platt: number[] }[];
      const isotonic = JSON.parse(iso.stdout) as { isotonic: number[] }[];
      return platt.map((p, k) => ({ ...p, isotonic: (isotonic[k] as { isotonic: number[] }).isotonic }));
    })();

    CASES.forEach((c, k) => {
      it(`${c.name}: Platt (slope, intercept, P) within 1e-6`, () => {
        const ref = reference[k] as (typeof reference)[number];
        const map = fitPlatt(c.points, c.input);
        expect(Math.abs(map.slope - ref.slope)).toBeLessThan(1e-6);
        expect(Math.abs(map.intercept - ref.intercept)).toBeLessThan(1e-6);
        const ours = (grids[k] as number[]).map((g) => applyCalibrationMap(map, g));
        const worst = Math.max(...ours.map((p, i) => Math.abs(p - (ref.platt[i] as number))));
        expect(worst).toBeLessThan(1e-6);
      });
      it(`${c.name}: isotonic P within 1e-6, on the scores and beyond both ends (clipped)`, () => {
        const ref = reference[k] as (typeof reference)[number];
        const map = fitIsotonic(c.points);
        const ours = (grids[k] as number[]).map((g) => applyCalibrationMap(map, g));
        const worst = Math.max(...ours.map((p, i) => Math.abs(p - (ref.isotonic[i] as number))));
        expect(worst).toBeLessThan(1e-6);
      });
    });
  },
);
