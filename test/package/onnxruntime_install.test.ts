import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { arch, platform, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// onnxruntime-node's install script (pulled in by @huggingface/transformers) downloads CUDA binaries on every
// Linux x64 machine, and an offline install then fails. The README gives the settings that skip it; this runs
// the real install scripts of both onnxruntime-node lines (1.21 for transformers.js 3.8, 1.30 for 4) with and
// without them, their downloads caught before they leave the machine.

const exec = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const work = mkdtempSync(join(tmpdir(), "onnxruntime-install-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Preloaded into the install script: a download request ends the script with exit code 42 instead. */
const shim = join(work, "no-download.cjs");
writeFileSync(
  shim,
  `if (/onnxruntime-node[\\\\/]script[\\\\/]install(\\.js)?$/.test(process.argv[1] || "")) {
  const block = (url) => { process.stderr.write("DOWNLOAD " + String((url && url.href) || url) + "\\n"); process.exit(42); };
  for (const m of [require("https"), require("http")]) { m.get = block; m.request = block; }
}
`,
);

/** The environment without any onnxruntime setting, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^ONNXRUNTIME_|^npm_config_onnxruntime|^npm_package_json$|^npm_config_local_prefix$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** The environment assignments of the README's install command (`ONNXRUNTIME_…=skip … npm install …`). */
function readmeSettings(): Record<string, string> {
  const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => /^(ONNXRUNTIME_\w+=\S+ )+npm install /.test(l));
  expect(line, "the README's install command with the onnxruntime settings").toBeDefined();
  return Object.fromEntries([...line!.matchAll(/(ONNXRUNTIME_\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

const COPIES = [
  { label: "onnxruntime-node 1.21 (transformers.js 3.8)", dir: join(PROJECT_DIR, "node_modules", "onnxruntime-node") },
  { label: "onnxruntime-node 1.30 (transformers.js 4)", dir: join(PROJECT_DIR, ".ci", "transformers-v4", "node_modules", "onnxruntime-node") },
];

/** Runs a copy's install script as npm runs it for a dependency of a project in `work`. */
function installScript(dir: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, ["--require", shim, join(dir, "script", "install.js")], {
    cwd: dir,
    encoding: "utf8",
    env: { ...env, npm_package_json: join(dir, "package.json"), npm_config_local_prefix: work },
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("the install settings the README gives are the ones this repository uses", () => {
  it("README, .ci/run and package.json agree; no .npmrc carries the key npm 11 warns about", () => {
    const settings = readmeSettings();
    expect(settings).toEqual({ ONNXRUNTIME_NODE_INSTALL: "skip", ONNXRUNTIME_NODE_INSTALL_CUDA: "skip" });
    const ci = readFileSync(join(PROJECT_DIR, ".ci", "run"), "utf8");
    expect(ci).toContain("export ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip");
    for (const pkg of ["package.json", join(".ci", "transformers-v4", "package.json")]) {
      const json = JSON.parse(readFileSync(join(PROJECT_DIR, pkg), "utf8")) as { allowScripts?: Record<string, boolean> };
      expect(json.allowScripts?.["onnxruntime-node"], pkg).toBe(false);
    }
    for (const dir of [PROJECT_DIR, join(PROJECT_DIR, ".ci", "transformers-v4")]) {
      const npmrc = join(dir, ".npmrc");
      if (existsSync(npmrc)) expect(readFileSync(npmrc, "utf8")).not.toMatch(/onnxruntime/);
    }
  });

  it("npm prints no 'Unknown project config' warning in this repository", async () => {
    const { stderr } = await exec(NPM, ["pkg", "get", "name"], { cwd: PROJECT_DIR, env: cleanEnv() });
    expect(stderr).not.toMatch(/Unknown project config/);
  });
});

const linuxX64 = platform() === "linux" && arch() === "x64";
for (const { label, dir } of COPIES) {
  const present = existsSync(join(dir, "script", "install.js"));
  const why = !linuxX64
    ? " [skipped: the download happens on Linux x64 only]"
    : !present
      ? ` [skipped: ${dir} is not installed; CI installs it]`
      : "";
  describe.runIf(linuxX64 && present)(`${label}: its install script${why}`, () => {
    const version = present ? (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version : "";

    it("without a setting, downloads (this machine has no CUDA binaries, and needs none)", () => {
      const { code, output } = installScript(dir, cleanEnv());
      expect(code, output).toBe(42);
      expect(output).toMatch(/DOWNLOAD /);
    });

    it("with the README's settings, exits 0 without a download", () => {
      const { code, output } = installScript(dir, cleanEnv(readmeSettings()));
      expect(code, output).toBe(0);
      expect(output).not.toMatch(/DOWNLOAD|Downloading/);
    });

    it("each setting alone: why the README gives both", () => {
      const newOnly = installScript(dir, cleanEnv({ ONNXRUNTIME_NODE_INSTALL: "skip" }));
      const oldOnly = installScript(dir, cleanEnv({ ONNXRUNTIME_NODE_INSTALL_CUDA: "skip" }));
      expect(oldOnly.code, oldOnly.output).toBe(0); // 1.21's name, which 1.30 still reads
      // 1.30's name; 1.21 does not know it and downloads.
      expect(newOnly.code, newOnly.output).toBe(version.startsWith("1.21.") ? 42 : 0);
    });
  });
}

const hasPolicy = spawnSync(NPM, ["help", "install-scripts"], { encoding: "utf8" }).status === 0;
const ort121 = COPIES[0]!.dir;
describe.runIf(linuxX64 && hasPolicy && existsSync(ort121))(
  `package.json allowScripts { "onnxruntime-node": false }${hasPolicy ? "" : " [skipped: this npm has no install-script policy]"}`,
  () => {
    it("an npm install without the variables runs no download and succeeds", async () => {
      const { version } = JSON.parse(readFileSync(join(ort121, "package.json"), "utf8")) as { version: string };
      const project = mkdtempSync(join(work, "project-"));
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "p", private: true, allowScripts: { "onnxruntime-node": false } }));
      await exec(NPM, ["install", `onnxruntime-node@${version}`, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: project,
        env: cleanEnv({ NODE_OPTIONS: `--require ${shim}` }),
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(readdirSync(join(project, "node_modules", "onnxruntime-node"))).toContain("package.json");
    }, 300_000);
  },
);
