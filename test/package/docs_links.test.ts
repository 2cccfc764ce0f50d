import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// The README, the CHANGELOG and docs/ ship in the tarball: every relative link in them must resolve both in the
// repository and among the files `npm pack` puts in the tarball.

const exec = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(PROJECT_DIR, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : [],
    );
  return ["README.md", "CHANGELOG.md", ...walk("docs")];
}

/** Relative link targets of a Markdown file, code blocks and code spans left out (`signals[name](doc)` is code). */
function relativeLinks(file: string): string[] {
  const text = readFileSync(join(PROJECT_DIR, file), "utf8")
    .replace(/^```[\s\S]*?^```/gm, "")
    .replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("#"))
    .map((target) => normalize(join(dirname(file), decodeURIComponent(target.split("#")[0]!))).replace(/[\\/]$/, ""));
}

let packed: Set<string>;
beforeAll(async () => {
  const { stdout } = await exec(NPM, ["pack", "--dry-run", "--json", "--loglevel=error"], { cwd: PROJECT_DIR, maxBuffer: 16 * 1024 * 1024 });
  const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => normalize(f.path));
  packed = new Set(files);
  for (const f of files) for (let d = dirname(f); d !== "."; d = dirname(d)) packed.add(d); // folders too
}, 120_000);

describe("relative links in the shipped Markdown", () => {
  it("the tarball ships the README, the CHANGELOG and the docs", () => {
    for (const file of markdownFiles()) expect(packed.has(normalize(file)), file).toBe(true);
  });

  it.each(markdownFiles())("%s: every relative link resolves in the repository and in the tarball", (file) => {
    const links = relativeLinks(file);
    for (const target of links) {
      expect(existsSync(join(PROJECT_DIR, target)), `${file} → ${target} (repository)`).toBe(true);
      expect(packed.has(target), `${file} → ${target} (tarball)`).toBe(true);
      expect(relative(PROJECT_DIR, join(PROJECT_DIR, target)).startsWith(".."), `${file} → ${target} leaves the package`).toBe(false);
    }
  });

  it("the examples the docs link to are the ones that run: each imports the package by name, not ../src", () => {
    const examples = [...packed].filter((f) => /^examples[\\/][^\\/]+\.ts$/.test(f));
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(readFileSync(join(PROJECT_DIR, example), "utf8"), example).not.toMatch(/from "\.\.\/(src|test|scripts)\//);
  });
});

describe("docs/cohere-and-servers.md: the fake server it names", () => {
  it("runs with the command the page gives, and serves Cohere's route", async () => {
    const page = readFileSync(join(PROJECT_DIR, "docs", "cohere-and-servers.md"), "utf8");
    const command = /^npx tsx (scripts\/fake_rerank_server\.ts)\b.*$/m.exec(page);
    expect(command, "the page's command that starts the fake server").not.toBeNull();
    const child = spawn(process.execPath, [join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs"), command![1]!, "--port", "0"], {
      cwd: PROJECT_DIR,
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString("utf8");
          if (out.includes("listening")) resolve(out);
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const url = /Cohere (http:\/\/127\.0\.0\.1:\d+)\/v2\/rerank/.exec(line)![1]!;
      const response = await fetch(`${url}/v2/rerank`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "rerank-v3.5", query: "red apples", documents: ["blue sky", "red apples"] }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { results: { index: number }[] };
      expect(body.results[0]!.index).toBe(1);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
