#!/usr/bin/env node
// rerank-convert-causal: converts a causal-LM reranker's model folder to its answer-head graph ahead of time, for
// browsers and read-only deployments (HuggingFaceCausalCrossEncoder converts on its first load in Node otherwise).
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { InvalidOptionError } from "../../errors.js";
import { convertModelFolder } from "./answer_head_files.js";
import { answerTokens, targetTokenIds } from "./causal_loader.js";
import type { PromptTokenizer } from "./causal_encoder.js";
import { CAUSAL_TEMPLATES, type CausalRerankerFamily, resolveTemplate } from "./causal_prompts.js";
import { DTYPE_FILES, type RerankerDtype } from "../loading/load_spec.js";
import { importTransformers } from "../loading/transformers_import.js";

const OWNER = "rerank-convert-causal";
const USAGE = `Usage: rerank-convert-causal FOLDER --family FAMILY [--dtype D] [--out DIR]

  FOLDER          a transformers.js causal-LM folder (config.json, tokenizer.json, tokenizer_config.json, onnx/)
  --family F      the prompt and answer tokens: ${Object.keys(CAUSAL_TEMPLATES).join(", ")}
  --dtype D       the weights to convert: ${Object.keys(DTYPE_FILES).join(", ")} (default: q8)
  --out DIR       the converted folder (default: FOLDER-answer-head); load it with HuggingFaceCausalCrossEncoder as any folder

The converted graph computes the answer tokens' logits at the last position only; scores equal the full graph's.`;

/** Converts as the arguments say; returns the exit code (0 done, 2 usage). Errors other than usage are thrown. */
export async function main(argv: readonly string[], log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { family: { type: "string" }, dtype: { type: "string", default: "q8" }, out: { type: "string" }, help: { type: "boolean" } },
    });
  } catch (error) {
    log(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) {
    log(USAGE);
    return values.help ? 0 : 2;
  }
  const folder = resolve(positionals[0]!);
  const dtype = values.dtype as RerankerDtype;
  if (!(dtype in DTYPE_FILES)) throw new InvalidOptionError(`--dtype must be one of ${Object.keys(DTYPE_FILES).join(", ")}, got "${dtype}".`);
  if (values.family !== undefined && !(values.family in CAUSAL_TEMPLATES)) {
    throw new InvalidOptionError(`--family must be one of ${Object.keys(CAUSAL_TEMPLATES).join(", ")}, got "${values.family}".`);
  }
  const template = resolveTemplate(OWNER, folder, values.family as CausalRerankerFamily | undefined, undefined);
  const transformers = await importTransformers(OWNER);
  const tokenizer = await transformers.AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  const tokens = answerTokens(targetTokenIds(folder, tokenizer as unknown as PromptTokenizer, template));
  const out = resolve(values.out ?? `${folder}-answer-head`);
  await convertModelFolder(folder, DTYPE_FILES[dtype], tokens, out);
  log(`${out}: onnx/${DTYPE_FILES[dtype]} converted to the answer head of tokens ${JSON.stringify(tokens)}`);
  return 0;
}

// Run only as a program (bin or `tsx src/local/causal/convert_causal_cli.ts`), not when imported by a test.
const entry = process.argv[1] ? resolve(process.argv[1]) : "";
if (/rerank[-_]convert[-_]causal(\.c?js)?$|convert_causal_cli\.ts$/.test(entry)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${OWNER}: ${(error as Error)?.message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
