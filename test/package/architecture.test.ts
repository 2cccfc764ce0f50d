import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// The layout that docs/README.md ("Layout") describes, checked on src/: file sizes, which layer may import which,
// entry files that only re-export, and no repeated code (one home per mechanism).

const SRC = join(PROJECT_DIR, "src");
const MAX_LINES = 400;
const MAX_FILES_PER_FOLDER = 16;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith(".ts") ? [join(folder, entry.name)] : [],
  );
}

/** One file per subpath export (package.json "exports") and the CLI's: they re-export, they hold no code. */
const ENTRY_FILES = ["index.ts", "huggingface.ts", "cohere.ts", "bm25.ts", "monitor.ts", "ai_sdk.ts", "eval/index.ts"];

/**
 * The layers, bottom first. A file may import its own folder and any folder of a lower rank, never one of its own
 * rank or above: remote/, retrievers/ and stores/ use only the bottom; scorers/ (the CrossEncoder interface, the
 * server and cached scorers) may use them; the local-model runtime is local/loading/ (finding and loading a model)
 * under local/runtime/ (scoring with it), and each family folder (local/cross_encoder/, local/causal/,
 * local/colbert/) uses both but never another family; compressors/ use scorers, and ai_sdk/ (the AI SDK adapter)
 * sits beside them; eval/ and monitor/ sit on top, independent of each other, eval/'s data loaders, statistics and
 * calibration fits under its harness, and its CLI above that.
 */
const LAYER_RANK: Record<string, number> = {
  "": 0, // src/ itself: errors, options, cancellation, rerank_input, results (entry files are checked apart)
  remote: 1,
  retrievers: 1,
  stores: 1,
  scorers: 2,
  "local/loading": 3,
  "local/runtime": 4,
  "local/cross_encoder": 5,
  "local/causal": 5,
  "local/colbert": 5,
  compressors: 6,
  ai_sdk: 6,
  "eval/data": 7.5,
  "eval/stats": 7,
  "eval/calibration": 7.6,
  eval: 8,
  "eval/cli": 9,
  monitor: 8,
};

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']|(?:^|\W)import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function folderOf(file: string): string {
  return relative(SRC, dirname(file)).split(sep).join("/");
}

/** Every folder of src/ that holds a source file directly. */
function sourceFolders(): string[] {
  return [...new Set(sourceFiles(SRC).map(folderOf))].sort();
}

function layerViolations(): string[] {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file);
    if (ENTRY_FILES.includes(from.split(sep).join("/"))) continue;
    const fromFolder = folderOf(file);
    const fromRank = LAYER_RANK[fromFolder];
    if (fromRank === undefined) {
      violations.push(`${from}: src/${fromFolder}/ has no layer; add it to LAYER_RANK and to docs/README.md's Layout`);
      continue;
    }
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const target = join(dirname(file), (match[1] ?? match[2])!);
      const toFolder = folderOf(target);
      if (toFolder === fromFolder) continue;
      const toRank = LAYER_RANK[toFolder];
      if (toRank === undefined || toRank >= fromRank) violations.push(`${from} imports ${relative(SRC, target)} (src/${toFolder || "."})`);
    }
  }
  return violations;
}

/** Lines of an entry file that are not re-exports or comments. */
function entryCode(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const statements = text
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return statements.filter((s) => !/^export\s+(?:type\s+)?(?:\*|\{[^}]*\})\s+from\s+["'][^"']+["']$/.test(s));
}

describe("the layout of src/ (docs/README.md, Layout)", () => {
  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = sourceFiles(SRC)
      .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it("imports only down the layers (LAYER_RANK)", () => {
    expect(layerViolations()).toEqual([]);
  });

  it("knows every folder of src/ (a new folder needs a layer)", () => {
    expect(sourceFolders()).toEqual(Object.keys(LAYER_RANK).sort());
  });

  it(`holds at most ${MAX_FILES_PER_FOLDER} source files directly in any folder`, () => {
    const crowded = sourceFolders()
      .map((folder) => ({ folder, files: sourceFiles(SRC).filter((file) => folderOf(file) === folder).length }))
      .filter(({ files }) => files > MAX_FILES_PER_FOLDER)
      .map(({ folder, files }) => `src/${folder}: ${files} files`);
    expect(crowded).toEqual([]);
  });

  it.each(ENTRY_FILES)("src/%s only re-exports", (file) => {
    expect(entryCode(file)).toEqual([]);
  });
});

// `duplicates` (on PATH where this project is developed, and in CI) lists places that share six or more lines.
// What may repeat: method signatures (each compressor overrides compressDocuments with the same parameters),
// import lists, the small error classes of errors.ts, and rows the tool itself marks as boilerplate (a shared
// shape of punctuation and keywords). Anything else is a mechanism written twice.
const ALLOWED_LINE = [
  /^\s*$/,
  /^\s*(?:\/\*\*|\*|\*\/|\/\/)/, // comments
  /^import\b.*$/,
  /^\s+(?:type\s+)?[\w$]+(?:\s+as\s+[\w$]+)?,$/, // a name in an import list
  /^}\s+from\s+["'][^"']+["'];$/,
  /^export (?:type )?\{[^}]*\} from ["'][^"']+["'];$/, // an entry file's re-export
  /^export \{$/,
  /^\s*(?:export\s+)?(?:override\s+)?(?:async\s+)?(?:function\s+)?[\w$]+\($/, // a signature's first line
  /^\s+[\w$]+\??:\s[^;]*,$/, // a parameter
  /^\s*\)(?::\s.*)?\s\{$/, // a signature's last line
  /^export class [\w$]+ extends [\w$]+ \{$/,
  /^\s+override name = "[\w$]+";$/,
  /^}$/,
];

/** errors.ts declares one small class per failure; their fields and constructors share a shape, not a mechanism. */
const ERROR_CLASS_LINE = [/^\s+readonly [\w$]+: [\w$]+;$/, /^\s+constructor\(.*\) \{$/, /^\s+super\(.*\);$/, /^\s+this\.[\w$]+ = [\w$.]+;$/];

function hasDuplicatesCommand(): boolean {
  try {
    execFileSync("duplicates", ["--help"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const duplicatesAvailable = hasDuplicatesCommand();

// Without the command the check skips, and its title says why (it never passes unchecked).
describe.runIf(duplicatesAvailable)(
  duplicatesAvailable ? "src/ repeats no code (the `duplicates` command)" : "src/ repeats no code [skipped: the `duplicates` command is not on PATH]",
  () => {
    it("lists no pair of six or more lines but signatures, import lists and boilerplate", () => {
      const report = execFileSync("duplicates", ["--repo", SRC, "--most", "200", "--seconds", "120"], { encoding: "utf8" });
      expect(report).not.toMatch(/^incomplete:/m);
      const rows = report.split("\n").filter((line) => /^D\d+ /.test(line));
      const offending = rows.filter((row) => {
        if (/\bboilerplate\b/.test(row)) return false;
        // onnx.proto as protobufjs's JSON descriptor: data transcribed from ONNX's schema, whose messages share a shape.
        if (/^D\d+ local\/causal\/onnx_schema\.ts:\S+ ~ local\/causal\/onnx_schema\.ts:/.test(row)) return false;
        const [, file, start, end] = /^D\d+ (\S+?):(\d+)-(\d+) ~/.exec(row)!;
        const lines = readFileSync(join(SRC, file!), "utf8")
          .split("\n")
          .slice(Number(start) - 1, Number(end));
        const allowed = file === "errors.ts" ? [...ALLOWED_LINE, ...ERROR_CLASS_LINE] : ALLOWED_LINE;
        return !lines.every((line) => allowed.some((pattern) => pattern.test(line)));
      });
      expect(offending).toEqual([]);
    });
  },
);
