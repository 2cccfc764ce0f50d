import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";

const run = promisify(execFile);
const TSX = join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs");

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("examples/three_stage_pipeline.ts", () => {
  it("runs BM25 → cross-encoder (falling back from an unreachable server) → multi-factor and prints the factors", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/rerank`;
    const { stdout } = await run(
      process.execPath,
      [TSX, "examples/three_stage_pipeline.ts", "--model", FIXTURE_RERANKER, "--server-url", url, "--top-n", "3"],
      {
        cwd: PROJECT_DIR,
      },
    );
    expect(stdout).toContain("Query: Does drinking coffee raise blood pressure?");
    expect(stdout).toContain("Cross-encoder stage served by: local");
    expect(stdout).toContain("RANDOM weights");
    const finals = [
      ...stdout.matchAll(
        /final (\d\.\d{4}) {2}\(relevance (\d\.\d{3}), recency (\d\.\d{3}), firstStageRank (\d\.\d{3}), reliability (\d\.\d{3}); was #(\d+)\)/g,
      ),
    ];
    expect(finals).toHaveLength(3);
    const scores = finals.map((m) => Number(m[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const m of finals) {
      const [relevance, recency, firstStageRank, reliability, rank] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as number[] as [
        number,
        number,
        number,
        number,
        number,
      ];
      expect(firstStageRank).toBeCloseTo(1 / rank, 3);
      expect(Number(m[1])).toBeCloseTo(0.6 * relevance + 0.2 * recency + 0.1 * firstStageRank + 0.1 * reliability, 2);
    }
  });
});
