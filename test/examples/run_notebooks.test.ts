import { execFile, execFileSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../support/shared.js";

// The notebooks (examples/*.ipynb) as a user opens them after `npm install` in a clone, and the script CI runs
// them with (scripts/run-notebooks.sh; the notebooks themselves run in CI's notebook step).

const run = promisify(execFile);

describe("after npm install, the notebooks' imports resolve where tslab's type checker looks", () => {
  it("node_modules/langchain-rerank is the project itself, from the devDependency file:.", () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies["langchain-rerank"]).toBe("file:.");
    // tslab resolves modules as TypeScript's node10 does: node_modules/<name>, not the package's own "exports".
    expect(realpathSync(join(PROJECT_DIR, "node_modules", "langchain-rerank"))).toBe(realpathSync(PROJECT_DIR));
  });

  it("run-notebooks.sh no longer makes that link itself (a notebook opened in Jupyter would not have it)", () => {
    expect(readFileSync(join(PROJECT_DIR, "scripts", "run-notebooks.sh"), "utf8")).not.toMatch(/ln -s/);
  });
});

// What the notebooks need (jupyter, ipykernel, the tslab kernel, dist/, node_modules/langchain-rerank) is checked by
// the script itself (--check), so a machine missing any of it skips here with the script's own reason.
const script = join(PROJECT_DIR, "scripts", "run-notebooks.sh");
function notebookSetupMissing(): string | undefined {
  try {
    execFileSync("bash", [script, "--check"], { cwd: PROJECT_DIR, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    return undefined;
  } catch (error) {
    return (
      String((error as { stderr?: string }).stderr ?? error)
        .trim()
        .split("\n")
        .pop() || "the notebook set-up is incomplete"
    );
  }
}
const missing = notebookSetupMissing();

describe.runIf(missing === undefined)(missing === undefined ? "scripts/run-notebooks.sh" : `scripts/run-notebooks.sh [skipped: ${missing}]`, () => {
  const env = (extra: Record<string, string>) => {
    const e: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined && k !== "CI") e[k] = v;
    return e;
  };

  it("counts a skipped notebook as skipped, not as run", async () => {
    const { stdout } = await run("bash", [script, "examples/measuring_the_gain.ipynb"], {
      cwd: PROJECT_DIR,
      env: env({ RERANK_SHARED_DIR: "/nonexistent/shared", RERANK_MODEL: join(PROJECT_DIR, "test", "fixtures", "models", "tiny-bert-reranker") }),
    });
    expect(stdout).toContain("skip examples/measuring_the_gain.ipynb: needs ../shared beside the project");
    expect(stdout).toMatch(/^notebooks: 0 of 1 ran without a cell error, 1 skipped, 0 failed, in \d+ s$/m);
  });

  it("takes the python from JUPYTER_PYTHON, and says so when that one lacks jupyter_client", async () => {
    const error = (await run("bash", [script, "examples/measuring_the_gain.ipynb"], {
      cwd: PROJECT_DIR,
      env: env({ JUPYTER_PYTHON: "/bin/false" }),
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain("/bin/false cannot import jupyter_client: set JUPYTER_PYTHON to the python that runs jupyter");
  });
});
