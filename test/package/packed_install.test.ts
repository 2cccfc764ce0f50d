import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_RERANKER } from "../support/fixtures.js";
import { PROJECT_DIR } from "../support/shared.js";

// The package as npm users receive it: `npm pack`, then the tarball installed into a fresh project with
// @langchain/core alone. What that install pulls in, what the root import loads and costs, and whether the
// README's Quick start runs there are all part of the product.

const exec = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const version = (name: string) =>
  (JSON.parse(readFileSync(join(PROJECT_DIR, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
const HEAVY = /node_modules\/(cohere-ai|@aws-sdk|vega[^/]*|d3[^/]*|cli-progress|@huggingface|onnxruntime[^/]*)(\/|$)/;

let project: string;
const npm = (args: string[]) =>
  exec(NPM, [...args, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: project,
    // The README's settings for onnxruntime-node's install script (test/package/onnxruntime_install.test.ts).
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", ONNXRUNTIME_NODE_INSTALL_CUDA: "skip" },
    maxBuffer: 64 * 1024 * 1024,
  });
const node = (args: string[]) => exec(process.execPath, args, { cwd: project, maxBuffer: 16 * 1024 * 1024 });

beforeAll(async () => {
  if (!existsSync(join(PROJECT_DIR, "dist", "index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does) before this suite.");
  project = mkdtempSync(join(tmpdir(), "langchain-rerank-install-"));
  const { stdout } = await exec(NPM, ["pack", "--pack-destination", project, "--loglevel=error"], { cwd: PROJECT_DIR });
  const tarball = join(project, stdout.trim().split("\n").at(-1)!);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "fresh-project", private: true, type: "module" }));
  await npm(["install", tarball, `@langchain/core@${version("@langchain/core")}`]);
}, 600_000);
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("npm install langchain-rerank @langchain/core, in a fresh project", () => {
  it("installs none of cohere-ai, @aws-sdk, vega, d3, nor the optional transformers.js", async () => {
    const { stdout } = await npm(["ls", "--all", "--parseable"]);
    const paths = stdout.split("\n").filter(Boolean);
    expect(paths.some((p) => p.endsWith("node_modules/langchain-rerank"))).toBe(true);
    expect(paths.filter((p) => HEAVY.test(p) && !/cli-progress/.test(p))).toEqual([]);
  });

  it("ships a LICENSE, the README and the docs it links to", () => {
    const installed = join(project, "node_modules", "langchain-rerank");
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toMatch(/MIT License/);
    const readme = readFileSync(join(installed, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\((?!https?:|#)([^)#]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(existsSync(join(installed, link)), link).toBe(true);
  });

  it("the root import loads no SDK, chart, progress bar, transformers.js, onnxruntime nor Node built-in", async () => {
    // A resolve hook records every module the import resolves, and which module asked for it.
    writeFileSync(
      join(project, "record.mjs"),
      `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
  import { appendFileSync } from "node:fs";
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context);
    appendFileSync(${JSON.stringify(join(project, "resolved.txt"))}, (context.parentURL ?? "") + " -> " + result.url + "\\\\n");
    return result;
  }\`));`,
    );
    await node(["--import", "./record.mjs", "--input-type=module", "-e", 'await import("langchain-rerank");']);
    const lines = readFileSync(join(project, "resolved.txt"), "utf8").trim().split("\n");
    expect(lines.some((l) => l.includes("/node_modules/langchain-rerank/dist/index.js"))).toBe(true);
    expect(lines.filter((l) => HEAVY.test(l.split(" -> ")[1]!))).toEqual([]);
    const ours = lines.filter((l) => l.split(" -> ")[0]!.includes("/node_modules/langchain-rerank/"));
    expect(ours.filter((l) => /-> node:/.test(l))).toEqual([]);
  });

  it("rerank-eval --chart without the optional vega peers fails before evaluating, not after writing the other outputs", async () => {
    const dataset = join(project, "tiny-dataset");
    mkdirSync(join(dataset, "qrels"), { recursive: true });
    writeFileSync(join(dataset, "corpus.jsonl"), '{"_id":"d1","text":"red apples"}\n');
    writeFileSync(join(dataset, "queries.jsonl"), '{"_id":"q1","text":"red apples"}\n');
    writeFileSync(join(dataset, "qrels", "test.tsv"), "q1\td1\t1\n");
    const bin = join(project, "node_modules", ".bin", "rerank-eval");
    const failure = (await exec(bin, ["--dataset", dataset, "--json", "out.json", "--chart", "out.svg", "--quiet"], { cwd: project }).catch(
      (e: unknown) => e,
    )) as { code?: number; stdout?: string; stderr?: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toBe(
      "rerank-eval: Rendering the chart needs the optional peer dependencies vega and vega-lite: npm install vega vega-lite\n",
    );
    expect(failure.stdout).toBe("");
    expect(existsSync(join(project, "out.json"))).toBe(false);
  });

  it("new CrossEncoderReranker() without transformers.js: the first rerank names the missing peer (ESM and CJS)", async () => {
    const program = (load: string) => `
      const { CrossEncoderReranker } = ${load};
      const { Document } = await import("@langchain/core/documents");
      const reranker = new CrossEncoderReranker();
      const error = await reranker.compressDocuments([new Document({ pageContent: "red apples" })], "apples").catch((e) => e);
      console.log(JSON.stringify({ name: error?.name, message: error?.message }));`;
    for (const load of ['await import("langchain-rerank")', '(await import("node:module")).createRequire(process.cwd() + "/")("langchain-rerank")']) {
      const { stdout } = await node(["--input-type=module", "-e", program(load)]);
      expect(JSON.parse(stdout)).toEqual({
        name: "MissingDependencyError",
        message:
          "HuggingFaceCrossEncoder needs the optional peer dependency @huggingface/transformers: npm install @huggingface/transformers " +
          "(on Linux x64 offline or without a GPU: ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install @huggingface/transformers)",
      });
    }
  });

  it("the README's Quick start runs there as pasted, on a local model folder", async () => {
    await npm([
      "install",
      `@huggingface/transformers@${version("@huggingface/transformers")}`,
      `@langchain/classic@${version("@langchain/classic")}`,
    ]);
    const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
    const install = /```bash\n(npm install langchain-rerank[^\n]*)\n```/.exec(readme);
    expect(install, "the README's first code block is the npm install line").not.toBeNull();
    expect(readme.indexOf("```")).toBe(install!.index);
    const quickStart = /```(?:js|ts|javascript|typescript)\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(quickStart).toContain('"Xenova/bge-reranker-base"');
    // BM25 from its own entry, not from /eval (which brings the evaluation tools along).
    expect(quickStart).toContain('import { OkapiBm25Retriever } from "langchain-rerank/bm25";');
    expect(quickStart).not.toContain("langchain-rerank/eval");
    // The hub is unreachable here: the same code on a local folder (random weights: the order means nothing).
    writeFileSync(join(project, "quick-start.mjs"), quickStart.replaceAll('"Xenova/bge-reranker-base"', JSON.stringify(FIXTURE_RERANKER)));
    const { stdout } = await node(["quick-start.mjs"]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^0\.\d{3} \d+ \S/);
  });
});
