import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// Every `@example` in src/ runs as written: each block is written to its own file under .cache/ inside this
// project, where `langchain-rerank` and its subpaths resolve to the BUILT dist/ by package self-reference (the
// package.json "exports" map, as a user's install resolves it), then type-checked with tsc and run with tsx.
// A block whose first line is `// network` needs a service or a hub download: it is type-checked, not run.
// `npm test` builds dist/ first; run `npm run build` before running this file alone.

const run = promisify(execFile);
const SRC = join(PROJECT_DIR, "src");
const DIST = join(PROJECT_DIR, "dist");
const WORK = join(PROJECT_DIR, ".cache", "jsdoc-examples");
const NETWORK = /^\/\/ network\b/;

interface Example {
  /** `src/…/file.ts:line`, where the block starts. */
  where: string;
  /** The declaration the doc comment belongs to, e.g. `class CrossEncoderReranker`. */
  declaration: string;
  code: string;
  file: string;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith(".ts") ? [join(folder, entry.name)] : [],
  );
}

function extractExamples(): Example[] {
  const examples: Example[] = [];
  for (const path of sourceFiles(SRC)) {
    const text = readFileSync(path, "utf8");
    for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      const body = comment[0].split("\n").map((line) => line.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/$/, ""));
      const after = text
        .slice(comment.index! + comment[0].length)
        .match(/^\s*(?:export\s+)?(?:abstract\s+)?(class|function|const|interface)\s+([\w$]+)/);
      const declaration = after ? `${after[1]} ${after[2]}` : "?";
      let at = body.findIndex((line) => line.startsWith("@example"));
      while (at !== -1) {
        const open = body.findIndex((line, i) => i > at && /^```(?:ts|typescript)\s*$/.test(line));
        const close = body.findIndex((line, i) => i > open && line.startsWith("```"));
        if (open === -1 || close === -1) throw new Error(`${relative(PROJECT_DIR, path)}: an @example without a \`\`\`ts block`);
        const line = text.slice(0, comment.index!).split("\n").length + open + 1;
        const where = `${relative(PROJECT_DIR, path)}:${line}`;
        const file = `${where.replace(/[/.:]/g, "_")}.ts`;
        examples.push({ where, declaration, code: body.slice(open + 1, close).join("\n"), file });
        at = body.findIndex((l, i) => i > close && l.startsWith("@example"));
      }
    }
  }
  return examples;
}

const EXAMPLES = extractExamples();

/** The classes the package's entries export, errors aside (their docs are the errors page, not an example). */
async function publicClasses(): Promise<string[]> {
  const names = new Set<string>();
  for (const entry of ["index.js", "huggingface.js", "cohere.js", "bm25.js", "eval.js", "monitor.js"]) {
    const module = (await import(join(DIST, entry))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== "function" || !/^class\b/.test(Function.prototype.toString.call(value))) continue;
      if (value === Error || (value as { prototype: unknown }).prototype instanceof Error) continue;
      names.add(name);
    }
  }
  return [...names].sort();
}

function tscErrors(output: string): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const line of output.split("\n")) {
    const match = /^([^(\s]+\.ts)\(\d+,\d+\): error /.exec(line);
    if (match) byFile.set(match[1]!, [...(byFile.get(match[1]!) ?? []), line]);
  }
  return byFile;
}

let typeErrors = new Map<string, string[]>();
let tscOutput = "";

beforeAll(async () => {
  expect(existsSync(join(DIST, "index.js")), "dist/ is missing: run npm run build").toBe(true);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  for (const example of EXAMPLES) writeFileSync(join(WORK, example.file), `${example.code}\nexport {};\n`);
  writeFileSync(
    join(WORK, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2023", "DOM"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"],
        typeRoots: [join(PROJECT_DIR, "node_modules", "@types")],
      },
      files: EXAMPLES.map((example) => example.file),
    }),
  );
  // A package.json with "type": "module" would end the package scope here, and with it the self-reference, so the
  // files are .ts under the project's own package.json (which says "module").
  try {
    await run(process.execPath, [join(PROJECT_DIR, "node_modules", "typescript", "bin", "tsc"), "-p", WORK], { cwd: WORK });
  } catch (error) {
    tscOutput = String((error as { stdout?: string }).stdout ?? error);
    typeErrors = tscErrors(tscOutput);
  }
}, 120_000);

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe("the @example blocks in src/", () => {
  it("were found (one per public class at least)", () => {
    expect(EXAMPLES.length).toBeGreaterThan(10);
  });

  it("cover every public class the entries export", async () => {
    const documented = new Set(EXAMPLES.filter((e) => e.declaration.startsWith("class ")).map((e) => e.declaration.slice(6)));
    const missing = (await publicClasses()).filter((name) => !documented.has(name));
    expect(missing, "public classes without an @example").toEqual([]);
  });

  it("all type-check against the built package", () => {
    const unattributed = tscOutput.split("\n").filter((line) => / error TS/.test(line) && !/^[^(\s]+\.ts\(/.test(line));
    expect(unattributed).toEqual([]);
  });

  it.each(EXAMPLES.map((example) => [example.where, example] as const))(
    "%s type-checks and, without `// network`, runs",
    async (_where, example) => {
      expect(typeErrors.get(example.file) ?? [], `${example.where} (${example.declaration})`).toEqual([]);
      if (NETWORK.test(example.code.trimStart())) return;
      const { stderr } = await run(join(PROJECT_DIR, "node_modules", ".bin", "tsx"), [join(WORK, example.file)], {
        cwd: PROJECT_DIR,
        timeout: 60_000,
        env: { ...process.env, HF_HUB_OFFLINE: "1" },
      });
      expect(stderr).toBe("");
    },
    90_000,
  );
});
