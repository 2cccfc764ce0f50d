import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";

const run = promisify(execFile);
const TSX = join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs");
const demo = (args: string[]) => run(process.execPath, [TSX, "examples/demo.ts", ...args], { cwd: PROJECT_DIR });

describe("npm run demo", () => {
  it("shows the first stage's candidates, then the reranked top-n with scores and per-stage timings", async () => {
    const { stdout } = await demo(["--model", FIXTURE_RERANKER, "--query", "How tall is the Eiffel Tower?", "--top-n", "3", "--candidates", "6"]);
    expect(stdout).toMatch(/Corpus: 32 passages\. First stage: BM25 top 6\./);
    expect(stdout).toMatch(/First stage \(BM25\), 6 candidates in [\d.]+ ms:/);
    expect(stdout).toMatch(/Reranked by the cross-encoder in [\d.]+ ms:/);
    const reranked = stdout
      .split("Reranked by the cross-encoder")[1]!
      .split("\n")
      .filter((l) => l.includes("score "));
    expect(reranked).toHaveLength(3);
    const scores = reranked.map((l) => Number(/score ([\d.]+)/.exec(l)![1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(stdout).toContain("RANDOM weights"); // a fixture's scores are never presented as quality
  });

  it("offline without a cached model exits 1 and says how to point it at a folder", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "demo-cache-"));
    const error = (await demo(["--offline", "--cache-dir", cacheDir]).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('Cannot load "Xenova/bge-reranker-base"');
    expect(error.stderr).toContain("npm run demo -- --model /path/to/bge-reranker-base");
    // …and a way forward that works here: the fixture it names runs, labelled as random weights.
    const offered = /npm run demo -- --model (\S+)\s+# a tiny fixture/.exec(error.stderr);
    expect(offered).not.toBeNull();
    expect(error.stderr).toMatch(/RANDOM-weight models \(their scores and order mean nothing\)/);
    const { stdout } = await demo(["--model", offered![1]!, "--offline", "--cache-dir", cacheDir]);
    expect(stdout).toContain("RANDOM weights");
  });
});
