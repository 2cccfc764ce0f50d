import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createPrng } from "../../src/eval/stats/prng.js";
import { kendallTauB, overlapAtK } from "../../src/monitor/rank_agreement.js";
import { RankHistogram } from "../../src/monitor/rank_histogram.js";
import { pairwiseTauB } from "../support/kendall.js";

describe("kendallTauB", () => {
  it("matches hand computations: same order 1, reversed −1, one swap in three 1/3", () => {
    expect(kendallTauB([1, 2, 3, 4], [1, 2, 3, 4])).toBe(1);
    expect(kendallTauB([1, 2, 3], [3, 2, 1])).toBe(-1);
    // positions 1..3 against first-stage ranks [2, 1, 5]: one discordant pair, two concordant.
    expect(kendallTauB([1, 2, 3], [2, 1, 5])).toBeCloseTo(1 / 3, 12);
  });

  it("with ties, is τ-b: (C − D)/√((n₀ − n₁)(n₀ − n₂))", () => {
    // y = [1, 2, 1, 3]: C = 4, D = 1, one pair tied in y; n₀ = 6.
    expect(kendallTauB([1, 2, 3, 4], [1, 2, 1, 3])).toBeCloseTo(3 / Math.sqrt(30), 12);
    // ties in both: x = [1, 1, 2, 3], y = [1, 2, 2, 3]: C = 4, D = 0, n₁ = 1, n₂ = 1.
    expect(kendallTauB([1, 1, 2, 3], [1, 2, 2, 3])).toBeCloseTo(4 / 5, 12);
  });

  it("is NaN where undefined: fewer than two items, or one ranking all tied", () => {
    expect(kendallTauB([1], [1])).toBeNaN();
    expect(kendallTauB([1, 2, 3], [4, 4, 4])).toBeNaN();
  });

  it("equals the pairwise count exactly on random vectors with and without ties, of every length up to 300", () => {
    const r = createPrng(5);
    for (let n = 0; n <= 300; n += n < 20 ? 1 : 17) {
      for (const levels of [3, 10, n + 1]) {
        const x = Array.from({ length: n }, () => Math.floor(r() * levels));
        const y = Array.from({ length: n }, () => Math.floor(r() * levels));
        const expected = pairwiseTauB(x, y);
        if (Number.isNaN(expected)) expect(kendallTauB(x, y)).toBeNaN();
        else expect(kendallTauB(x, y)).toBe(expected);
      }
    }
  });

  it("reads only the common length when the vectors differ in length, and never reorders the caller's arrays", () => {
    const x = [3, 1, 2, 9];
    const y = [1, 2, 3];
    expect(kendallTauB(x, y)).toBe(pairwiseTauB([3, 1, 2], y));
    expect(x).toEqual([3, 1, 2, 9]);
    expect(y).toEqual([1, 2, 3]);
  });

  const python = "/usr/bin/python3";
  const scipyTauB = (cases: [number[], number[]][]): number[] => {
    const script = `import json,sys\nfrom scipy.stats import kendalltau\nprint(json.dumps([kendalltau(x, y, variant="b").statistic for x, y in json.loads(sys.stdin.read())]))`;
    const run = spawnSync(python, ["-c", script], { input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 1 << 26 });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as number[];
  };
  const hasScipy = existsSync(python) && spawnSync(python, ["-c", "import scipy.stats"]).status === 0;
  // CI installs python3-scipy (.ci/run); elsewhere this check is skipped, and says so.
  it.runIf(hasScipy)("equals scipy.stats.kendalltau (variant b) on vectors with and without ties", () => {
    const cases: [number[], number[]][] = [
      [
        [1, 2, 3, 4, 5, 6],
        [2, 1, 5, 3, 6, 4],
      ],
      [
        [1, 2, 3, 4, 5, 6, 7, 8],
        [1, 1, 2, 3, 3, 3, 8, 7],
      ],
      [
        [1, 1, 2, 2, 3, 4, 5, 5],
        [5, 4, 4, 3, 2, 2, 1, 1],
      ],
      [
        [3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
        [2, 7, 1, 8, 2, 8, 1, 8, 2, 8],
      ],
    ];
    // Large and heavily tied: a query of 40,000 documents, and 5,000 documents over 7 distinct ranks.
    const r = createPrng(11);
    const positions = Array.from({ length: 40_000 }, (_, i) => i + 1);
    cases.push([positions, positions.map((p) => (r() < 0.3 ? p : Math.floor(r() * 40_000) + 1))]);
    cases.push([Array.from({ length: 5000 }, () => Math.floor(r() * 7)), Array.from({ length: 5000 }, () => Math.floor(r() * 3))]);
    const reference = scipyTauB(cases);
    cases.forEach(([x, y], i) => expect(kendallTauB(x, y)).toBeCloseTo(reference[i]!, 12));
  });
  if (!hasScipy) it("cross-check against scipy skipped: /usr/bin/python3 with scipy is absent (apt-get install python3-scipy)", () => {});
});

describe("overlapAtK", () => {
  it("is the share of the top k whose first-stage rank is ≤ k", () => {
    expect(overlapAtK([2, 1, 5], 3, 10)).toBeCloseTo(2 / 3, 12);
    expect(overlapAtK([6, 5, 4, 1, 2], 5, 10)).toBeCloseTo(4 / 5, 12); // 5, 4, 1, 2 are in the first stage's top 5
    expect(overlapAtK([1, 2, 3], 3, 3)).toBe(1);
  });
  it("is undefined when fewer than k were kept or fewer than k candidates existed", () => {
    expect(overlapAtK([1, 2], 3, 10)).toBeNaN();
    expect(overlapAtK([1, 2, 3], 3, 2)).toBeNaN();
  });
});

describe("RankHistogram", () => {
  it("gives the smallest count covering a share of picks (nearest rank), and readable buckets", () => {
    const histogram = new RankHistogram(100);
    // 100 picks: 50 at rank 1, 30 at rank 2, 15 at rank 7, 4 at rank 30 and one past the limit.
    const picks = [...Array(50).fill(1), ...Array(30).fill(2), ...Array(15).fill(7), ...Array(4).fill(30), 150];
    for (const p of picks) histogram.add(p);
    expect(histogram.total).toBe(100);
    expect(histogram.covering(0.5)).toBe(1); // 50 of 100 at rank 1
    expect(histogram.covering(0.8)).toBe(2);
    expect(histogram.covering(0.9)).toBe(7);
    expect(histogram.covering(0.95)).toBe(7);
    expect(histogram.covering(0.99)).toBe(30);
    expect(histogram.covering(1)).toBe(Infinity); // rank 150 is past the limit
    expect(histogram.shareAtMost(7)).toBe(0.95);
    expect(histogram.buckets()).toEqual([
      { from: 1, to: 1, count: 50 },
      { from: 2, to: 2, count: 30 },
      { from: 6, to: 10, count: 15 },
      { from: 21, to: 30, count: 4 },
      { from: 101, to: Infinity, count: 1 },
    ]);
  });
});
