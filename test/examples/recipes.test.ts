import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";

// docs/recipes.md quotes examples/recipes.ts; this runs it (fixture model: random weights, so only the shapes count).
const run = promisify(execFile);
const TSX = join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs");

/** The lines printed under a recipe's heading: [label, score or undefined]. */
function section(stdout: string, heading: string): [string, number | undefined][] {
  const block = stdout
    .split(`\n${heading} (`)[1]!
    .split("\n\n")[0]!
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "");
  return block.map((line) => {
    const m = /^ {2}(\S+)(?: score ([\d.]+))?/.exec(line)!;
    return [m[1]!, m[2] === undefined ? undefined : Number(m[2])];
  });
}
const descending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! >= x);

describe("examples/recipes.ts", () => {
  it("runs every recipe: pipeline with threshold, hybrid, multi-query and parent-document retrieval with a reranker", async () => {
    const { stdout } = await run(process.execPath, [TSX, "examples/recipes.ts"], {
      cwd: PROJECT_DIR,
      env: { ...process.env, RERANK_MODEL: FIXTURE_RERANKER },
    });
    expect(stdout).toContain("RANDOM weights");

    const pipeline = section(stdout, "rerank, then threshold");
    expect(pipeline.length).toBeGreaterThanOrEqual(1);
    expect(pipeline.length).toBeLessThanOrEqual(5); // the filter's topN
    const kept = pipeline.map(([, s]) => s!);
    expect(descending(kept)).toBe(true);
    expect(kept.every((s) => s >= 0.3)).toBe(true);

    for (const heading of ["hybrid (BM25 + vectors), then rerank", "multi-query, then rerank"]) {
      const ranked = section(stdout, heading);
      expect(ranked, heading).toHaveLength(3);
      expect(descending(ranked.map(([, s]) => s!)), heading).toBe(true);
    }

    const parents = section(stdout, "parent documents of the best reranked chunks");
    expect(parents.length).toBeGreaterThanOrEqual(1);
    expect(parents.length).toBeLessThanOrEqual(2); // parentK
    for (const [topic] of parents) expect(["coffee", "eiffel", "photosynthesis", "rust", "sleep", "attention"]).toContain(topic);
  });
});
