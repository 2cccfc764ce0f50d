import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ENTRIES, type EntryName, readDeclarations, resolved } from "../support/declarations.js";
import { PROJECT_DIR } from "../support/shared.js";

// Every option a user passes shows its documentation in their editor, read from the published declarations
// (dist/*.d.ts, from `npm run build`). The rule: every property of an exported `…Args`, `…Options`, `…Input` or
// `…Fields` interface (inherited ones included, as long as this package declares them) has a doc comment, and every
// optional one has an `@default` tag; an option without a default says so (`@default none`, `@default no limit`).
const OPTIONS_INTERFACE = /(Args|Options|Input|Fields)$/;

describe("option documentation in the built declarations", () => {
  const { checker, exportsOf } = readDeclarations();
  const ours = (declaration: ts.Declaration) => declaration.getSourceFile().fileName.startsWith(join(PROJECT_DIR, "dist"));

  it.each(Object.keys(ENTRIES) as EntryName[])("%s: every option has a doc comment, and every optional one an @default", (entry) => {
    const missing: string[] = [];
    let checked = 0;
    for (const symbol of exportsOf(entry)) {
      const target = resolved(checker, symbol);
      if (!OPTIONS_INTERFACE.test(symbol.name) || !(target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
      for (const property of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(target))) {
        if (!(property.declarations ?? []).some(ours)) continue; // LangChain's own (callbacks, tags, …) are documented there
        checked += 1;
        const doc = ts.displayPartsToString(property.getDocumentationComment(checker)).trim();
        const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
        if (doc === "") missing.push(`${symbol.name}.${property.name}: no doc comment`);
        if (optional && !property.getJsDocTags(checker).some((tag) => tag.name === "default")) {
          missing.push(`${symbol.name}.${property.name}: no @default`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(0); // the walk found options to check
  });
});
