import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// npm run bench:import (after npm run build): what `import "langchain-rerank"` costs over importing
// @langchain/core's document compressors alone, each in a fresh Node process, interleaved, 15 rounds. A timing,
// so a benchmark and not a test: the packed-install test checks what the root import loads, which is what drives it.

const root = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = 15;

function importMs(specifier: string): number {
  const program = `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t);`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", program], { cwd: root, encoding: "utf8" }).trim());
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.round(q * (xs.length - 1))]!;
const ours: number[] = [];
const core: number[] = [];
const extra: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const c = importMs("@langchain/core/retrievers/document_compressors");
  const o = importMs("langchain-rerank");
  core.push(c);
  ours.push(o);
  extra.push(o - c);
}
const row = (name: string, xs: number[]) =>
  `${name.padEnd(48)} median ${quantile(xs, 0.5).toFixed(1)} ms (IQR ${quantile(xs, 0.25).toFixed(1)}–${quantile(xs, 0.75).toFixed(1)})`;
console.log(`${ROUNDS} fresh processes each, interleaved:`);
console.log(row("@langchain/core/retrievers/document_compressors", core));
console.log(row("langchain-rerank", ours));
console.log(row("difference, per round", extra));
