import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OutputPathError, checkOutputPaths, writeOutputFile, writeOutputFiles } from "../../../src/eval/cli/output_paths.js";
import { FIXTURE_RERANKER } from "../../support/fixtures.js";
import { oneErrorLine, rerankEval, tinyDataset } from "../../support/rerank_eval.js";

// rerank-eval writes --json, --report and --chart after an evaluation that can take hours: every path is checked
// before it starts, and a write that still fails names the file and keeps the other outputs.

const dir = mkdtempSync(join(tmpdir(), "rerank-eval-outputs-"));
chmodSync(dir, 0o755);
const aFile = join(dir, "a-file.json");
writeFileSync(aFile, "{}\n");
const aFolder = join(dir, "a-folder");
mkdirSync(aFolder);
const input = join(dir, "run.trec");
writeFileSync(input, "q1 Q0 d1 1 1.0 bm25\n");
/** Root ignores permission bits: then the read-only cases run the CLI as nobody. */
const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

async function refusal(outputs: { flag: string; file: string }[], inputs: string[] = []): Promise<string> {
  const error = await checkOutputPaths(outputs, inputs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutputPathError);
  return (error as OutputPathError).message;
}

describe("checkOutputPaths: refused before the run, naming the flag and the file", () => {
  it.each([
    [
      "a path under a file",
      [{ flag: "--json", file: join(aFile, "out.json") }],
      `--json ${join(aFile, "out.json")}: ${aFile} is a file, so no folder can be made under it.`,
    ],
    [
      "a path two levels under a file",
      [{ flag: "--chart", file: join(aFile, "x", "c.svg") }],
      `${aFile} is a file, so no folder can be made under it.`,
    ],
    [
      "an existing folder",
      [{ flag: "--report", file: aFolder }],
      `--report ${aFolder}: is a folder; give a file path, e.g. ${join(aFolder, "rerank-eval.md")}.`,
    ],
    [
      "two flags naming one file",
      [
        { flag: "--json", file: join(dir, "same.out") },
        { flag: "--report", file: join(dir, ".", "same.out") },
      ],
      `--report ${join(dir, ".", "same.out")}: --json writes the same file; give each output its own path.`,
    ],
  ])("%s", async (_, outputs, message) => {
    expect(await refusal(outputs)).toContain(message);
  });

  it("a file the run reads (the run file, the qrels), also through a symlink", async () => {
    expect(await refusal([{ flag: "--json", file: input }], [input])).toBe(
      `--json ${input}: is a file this run reads; writing the output there would overwrite it.`,
    );
    const { symlinkSync } = await import("node:fs");
    const link = join(dir, "run-link.trec");
    if (!existsSync(link)) symlinkSync(input, link);
    expect(await refusal([{ flag: "--report", file: link }], [input])).toContain("is a file this run reads");
  });

  it("accepts missing folders without creating them, and a device such as /dev/null", async () => {
    const nested = join(dir, "not", "yet", "there.json");
    await checkOutputPaths([
      { flag: "--json", file: nested },
      { flag: "--report", file: "/dev/null" },
    ]);
    expect(existsSync(join(dir, "not"))).toBe(false);
  });
});

describe("writeOutputFile", () => {
  it("makes the folders and replaces an older file whole, leaving no temporary file beside it", async () => {
    const file = join(dir, "w", "deep", "out.json");
    await writeOutputFile({ flag: "--json", file }, "first\n");
    await writeOutputFile({ flag: "--json", file }, "second\n");
    expect(readFileSync(file, "utf8")).toBe("second\n");
    expect(readdirSync(join(dir, "w", "deep"))).toEqual(["out.json"]);
  });

  it("a full disk (/dev/full): names the flag and the file, and writes the other outputs all the same", async () => {
    const kept = join(dir, "kept.md");
    const error = await writeOutputFiles([
      { output: { flag: "--json", file: "/dev/full" }, text: () => "{}" },
      { output: { flag: "--report", file: kept }, text: () => "# report\n" },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputPathError);
    expect((error as OutputPathError).message).toBe("--json /dev/full: could not be written (no space left on device, ENOSPC).");
    expect((error as OutputPathError).atWrite).toBe(true);
    expect(readFileSync(kept, "utf8")).toBe("# report\n");
  });
});

describe("rerank-eval checks its output paths before it evaluates", () => {
  const dataset = tinyDataset();
  const evaluate = ["--dataset", dataset, "--reranker", "cross-encoder", "--model", FIXTURE_RERANKER, "--quiet"];

  it.each([
    ["--json", join(aFile, "out.json"), `${aFile} is a file, so no folder can be made under it.`],
    ["--report", aFolder, `is a folder; give a file path, e.g. ${join(aFolder, "rerank-eval.md")}.`],
    ["--chart", join(dataset, "corpus.jsonl"), "is a file this run reads; writing the output there would overwrite it."],
  ])("%s %s: exits 2 with one line, before any evaluation (nothing on stdout)", async (flag, file, reason) => {
    const { code, stdout, stderr } = await rerankEval([...evaluate, flag, file]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(oneErrorLine(stderr)).toBe(`${flag} ${file}: ${reason}`);
  });

  it("--json onto a --compare-run file: exits 2, the run file untouched", async () => {
    const { code, stderr } = await rerankEval(["--dataset", dataset, "--quiet", "--compare-run", input, "--json", input]);
    expect(code).toBe(2);
    expect(oneErrorLine(stderr)).toBe(`--json ${input}: is a file this run reads; writing the output there would overwrite it.`);
    expect(readFileSync(input, "utf8")).toBe("q1 Q0 d1 1 1.0 bm25\n");
  });

  it("a bad path beside a good one creates neither the good one's folders nor any file", async () => {
    const fresh = join(dir, "fresh");
    const { code, stdout } = await rerankEval([...evaluate, "--json", join(fresh, "a", "out.json"), "--report", join(aFile, "r.md")]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(existsSync(fresh)).toBe(false);
  });

  it("a folder the user cannot write to: exits 2 naming it (run as nobody when the tests run as root)", async () => {
    const readOnly = join(dir, "read-only");
    mkdirSync(readOnly, { recursive: true });
    chmodSync(readOnly, 0o555);
    const { code, stdout, stderr } = await rerankEval(["--dataset", dataset, "--quiet", "--json", join(readOnly, "sub", "out.json")], asNobody);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(oneErrorLine(stderr)).toBe(
      `--json ${join(readOnly, "sub", "out.json")}: the folder ${readOnly} is not writable (permission denied, EACCES).`,
    );
  });

  it("a write that fails after the run (a full disk) exits 1 naming the file; the report was printed and the other file written", async () => {
    const report = join(dir, "after-full.md");
    const { code, stdout, stderr } = await rerankEval(["--dataset", dataset, "--quiet", "--json", "/dev/full", "--report", report]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^none +1\.0000/m);
    expect(oneErrorLine(stderr)).toBe("--json /dev/full: could not be written (no space left on device, ENOSPC).");
    expect(readFileSync(report, "utf8")).toMatch(/^# /);
  });
});
