import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { PROJECT_DIR } from "./shared.js";

/** rerank-eval from its source, as `npx tsx src/eval/cli/cli.ts` runs it. */
const CLI = join(PROJECT_DIR, "src", "eval", "cli", "cli.ts");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs rerank-eval in a child process without blocking the test worker. `env` entries set to undefined are
 * removed from the child's environment; `uid`/`gid` run it as another user (root only).
 */
export function rerankEval(args: string[], options: { env?: Record<string, string | undefined>; uid?: number; gid?: number } = {}): Promise<CliRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: PROJECT_DIR,
      env,
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** rerank-eval from its source, synchronously; `env` adds to (or overrides) the test process's environment. */
export function rerankEvalSync(args: string[], env: Record<string, string> = {}): CliRun {
  const result = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** stderr must be exactly one line, "rerank-eval: <message>": returns the message. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^rerank-eval: /);
  return (lines[0] as string).slice("rerank-eval: ".length);
}

/** A two-document BEIR folder with one judged query, in a fresh temporary folder (world-readable). */
export function tinyDataset(): string {
  const dir = mkdtempSync(join(tmpdir(), "rerank-eval-tiny-"));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "corpus.jsonl"), '{"_id":"d1","text":"red apples"}\n{"_id":"d2","text":"blue sky"}\n');
  writeFileSync(join(dir, "queries.jsonl"), '{"_id":"q1","text":"red apples"}\n');
  mkdirSync(join(dir, "qrels"));
  writeFileSync(join(dir, "qrels", "test.tsv"), "q1\td1\t1\n");
  return dir;
}
