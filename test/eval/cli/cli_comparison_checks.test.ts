import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useFakeRerankServer } from "../../support/fake_rerank_server.js";
import { rerankEval, rerankEvalSync } from "../../support/rerank_eval.js";

// rerank-eval checks every input before the first request: no evaluation (and no paid request) is lost to a
// mistake that could be found first. A fake rerank server counts the requests.

const fake = useFakeRerankServer();

/** Two judged queries over three documents. */
function dataset(): string {
  const dir = mkdtempSync(join(tmpdir(), "rerank-eval-checks-"));
  writeFileSync(
    join(dir, "corpus.jsonl"),
    ['{"_id":"d1","text":"red apples"}', '{"_id":"d2","text":"blue sky"}', '{"_id":"d3","text":"green pears"}'].join("\n"),
  );
  writeFileSync(join(dir, "queries.jsonl"), '{"_id":"q1","text":"red apples"}\n{"_id":"q2","text":"green pears"}\n');
  mkdirSync(join(dir, "qrels"));
  writeFileSync(join(dir, "qrels", "test.tsv"), "q1\td1\t1\nq2\td3\t1\n");
  return dir;
}

const server = (credentials = "") => {
  const url = new URL(`${fake.url}/v2/rerank`);
  if (credentials) [url.username, url.password] = credentials.split(":") as [string, string];
  return `server:${url.href}`;
};
const run = (args: string[]) => rerankEval([...args, "--server-model", "rerank-v3.5", "--quiet"]);

describe("rerank-eval refuses a mistake before the first request", () => {
  it("a --compare-run of another dataset: refused before the evaluation, the server receives 0 requests", async () => {
    const dir = dataset();
    const other = join(dir, "other.trec");
    writeFileSync(other, "1048585 Q0 7187158 1 12.5 bm25\n1048585 Q0 7187157 2 11.0 bm25\n");
    const { code, stderr, stdout } = await run(["--dataset", dir, "--reranker", "none", "--reranker", server(), "--compare-run", other]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/other\.trec: the run has none of the 2 queries to evaluate \(e\.g\. q1, q2\); is it a run of this dataset and split\?/);
    expect(stdout).toBe("");
    expect(fake.requests).toHaveLength(0);
  });

  it("a --compare-run holding none of the first --limit queries is refused too", async () => {
    const dir = dataset();
    const partial = join(dir, "q2only.trec");
    writeFileSync(partial, "q2 Q0 d3 1 1.0 run\n");
    const { code, stderr } = await run(["--dataset", dir, "--reranker", server(), "--compare-run", partial, "--limit", "1"]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/none of the 1 queries to evaluate/);
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    [["--alpha", "1e-17"], /--alpha 1e-17 is too small: the intervals' level 1 − α would round to 1; use at least 1\.2e-16\./],
    [["--alpha", "0.00000000000000001"], /--alpha .* is too small/],
    [["--bootstrap-samples", "100000000000"], /--bootstrap-samples must be an integer from 2 to 10,000,000, got "100000000000"\./],
    [
      ["--baseline", "server:http://nope/rerank"],
      /--baseline "server:http:\/\/nope\/rerank" names no configuration: expected one of "none", "server:/,
    ],
  ])("%j: exit 2, one line, 0 requests", async (flags, message) => {
    const { code, stderr } = await run(["--dataset", dataset(), "--reranker", "none", "--reranker", server(), ...flags]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(fake.requests).toHaveLength(0);
  });

  it("two server specs that differ only in a masked password would share a name: refused, 0 requests", async () => {
    const { code, stderr } = await run(["--dataset", dataset(), "--reranker", server("bob:pw-one-77"), "--reranker", server("bob:pw-two-88")]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/are both named server:http:\/\/\*\*\*(:\*\*\*)?@127\.0\.0\.1:\d+\/v2\/rerank in the reports/);
    expect(stderr).not.toMatch(/pw-one|pw-two/);
    expect(fake.requests).toHaveLength(0);
  });

  it("--choose-weights with fewer than 2 queries to evaluate: refused, 0 requests", async () => {
    const { code, stderr } = await run(["--dataset", dataset(), "--reranker", server(), "--choose-weights", "--limit", "1"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--choose-weights needs at least 2 judged queries/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("--baseline names a server spec with credentials", () => {
  it.each([
    ["as typed", (spec: string) => spec],
    ["masked as the command line is quoted", (spec: string) => spec.replace(/\/\/[^@]*@/, "//***@")],
    ["by its name in the report", (spec: string) => spec.replace(/\/\/[^@]*@/, "//***:***@")],
  ])("%s: the comparison runs and names the configuration by its masked name", async (_how, baselineOf) => {
    const dir = dataset();
    const spec = server("bob:hunter2-secret");
    const json = join(dir, "out.json");
    const { code, stderr, stdout } = await run([
      "--dataset",
      dir,
      "--reranker",
      "none",
      "--reranker",
      spec,
      "--baseline",
      baselineOf(spec),
      "--json",
      json,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const summary = JSON.parse(readFileSync(json, "utf8")) as { baseline: string };
    expect(summary.baseline).toMatch(/^server:http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/v2\/rerank$/);
    expect(`${stdout}${readFileSync(json, "utf8")}`).not.toContain("hunter2");
  });
});

describe("parse-time checks need no dataset", () => {
  it("--alpha too small is refused before the dataset is read", () => {
    const { code, stderr } = rerankEvalSync(["--dataset", "/nonexistent", "--alpha", "1e-17"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--alpha 1e-17 is too small/);
  });
});
