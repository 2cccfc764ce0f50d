import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { PROJECT_DIR } from "../../support/shared.js";

const run = promisify(execFile);
const V4_DIR = join(PROJECT_DIR, ".ci", "transformers-v4");
const hasV4 = existsSync(join(V4_DIR, "node_modules", "@huggingface", "transformers"));
if (!hasV4 && process.env.CI) throw new Error(`${V4_DIR} has no transformers.js 4, but CI=true and .ci/run installs it there.`);

async function scoresUnder(hook: string[], models: string[]): Promise<{ version: string; scores: Record<string, number[]> }> {
  const { stdout } = await run(process.execPath, [...hook, "--import", "tsx", join(PROJECT_DIR, "test/support/score_fixtures.ts"), ...models], {
    cwd: PROJECT_DIR,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

// The peer range takes transformers.js 3 and 4: the same model folder must score the same under both.
describe.runIf(hasV4)(
  hasV4 ? "transformers.js 3 and 4" : "transformers.js 3 and 4 [skipped: .ci/run installs version 4 in .ci/transformers-v4]",
  () => {
    it("give the same fp32 scores (|Δ| ≤ 1e-4) for the BERT, two-label and XLM-R fixtures and the MiniLM proxy", async () => {
      const proxy = inject("miniLmProxy");
      const models = proxy === null ? [] : [proxy];
      const [v3, v4] = await Promise.all([scoresUnder([], models), scoresUnder(["--import", join(V4_DIR, "resolve-hook.mjs")], models)]);
      expect(v3.version).toMatch(/^3\./);
      expect(v4.version).toMatch(/^4\./);
      expect(Object.keys(v4.scores)).toEqual(Object.keys(v3.scores));
      for (const [model, scores] of Object.entries(v3.scores)) {
        const other = v4.scores[model]!;
        expect(other).toHaveLength(scores.length);
        const worst = Math.max(...scores.map((s, i) => Math.abs(s - other[i]!)));
        expect(worst, model).toBeLessThanOrEqual(1e-4);
        expect(new Set(scores).size, `${model} gives distinct scores, so the comparison means something`).toBeGreaterThan(scores.length / 2);
      }
    });
  },
);
