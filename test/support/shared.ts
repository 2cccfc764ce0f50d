import { describe } from "vitest";
import { hasShared, SHARED_DIR } from "../../scripts/proxy_models.js";

/** The project's root and the `../shared` folder beside it (data, real tokenizers, proxy-model tools). */
export { hasShared, PROJECT_DIR, SHARED_DIR } from "../../scripts/proxy_models.js";

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
