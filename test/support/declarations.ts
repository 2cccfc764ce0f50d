import { join } from "node:path";
import ts from "typescript";
import { fileURLToPath } from "node:url";

const PROJECT_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** The package's entries, as `exports` in package.json names them, and their built declaration files. */
export const ENTRIES = {
  "langchain-rerank": "index",
  "langchain-rerank/huggingface": "huggingface",
  "langchain-rerank/cohere": "cohere",
  "langchain-rerank/bm25": "bm25",
  "langchain-rerank/eval": "eval",
  "langchain-rerank/monitor": "monitor",
  "langchain-rerank/ai-sdk": "ai_sdk",
} as const;

export type EntryName = keyof typeof ENTRIES;

/** The built declarations (dist/*.d.ts, from `npm run build`), read by the TypeScript checker as a user's editor reads them. */
export function readDeclarations(): {
  checker: ts.TypeChecker;
  exportsOf(entry: EntryName): ts.Symbol[];
} {
  const files = Object.values(ENTRIES).map((name) => join(PROJECT_DIR, "dist", `${name}.d.ts`));
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  return {
    checker,
    exportsOf(entry) {
      const file = program.getSourceFile(join(PROJECT_DIR, "dist", `${ENTRIES[entry]}.d.ts`));
      if (file === undefined) throw new Error(`dist/${ENTRIES[entry]}.d.ts is missing: run npm run build`);
      return checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
    },
  };
}

/** A symbol's target through `export { a as b }` aliases. */
export function resolved(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}
