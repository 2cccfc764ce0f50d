import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";

/** The project's root and the `../shared` folder beside it (data, real tokenizers, proxy-model tools). */
export const PROJECT_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const SHARED_DIR = process.env.RERANK_SHARED_DIR ?? join(PROJECT_DIR, "..", "shared");
export const hasShared = existsSync(join(SHARED_DIR, "README.md"));

/**
 * A suite that needs `../shared` (real tokenizers, IR collections, proxy models). CI always has it, so there a
 * missing folder is a failure; on a fresh clone without it the suite is skipped and its title says why.
 */
export function describeWithShared(name: string, fn: () => void): void {
  if (!hasShared && process.env.CI) {
    throw new Error(`${name}: ${SHARED_DIR} is missing, but CI=true and CI always has ../shared beside the project.`);
  }
  describe.runIf(hasShared)(hasShared ? name : `${name} [skipped: needs ../shared beside the project]`, fn);
}
