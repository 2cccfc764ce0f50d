/* global URL */
// `node --import ./.ci/transformers-v4/resolve-hook.mjs …` runs a program against transformers.js 4 (installed
// here by .ci/run) instead of the project's devDependency (3): imports of @huggingface/transformers, and of the
// onnxruntime-node it needs (two onnxruntime builds cannot share a process), resolve to this folder's copies.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
    const here = ${JSON.stringify(new URL("./node_modules/", import.meta.url).href)};
    const redirect = {
      "@huggingface/transformers": here + "@huggingface/transformers/dist/transformers.node.mjs",
      "onnxruntime-node": here + "onnxruntime-node/dist/index.js",
    };
    export async function resolve(specifier, context, next) {
      return specifier in redirect ? next(redirect[specifier], context) : next(specifier, context);
    }
  `)}`,
);
