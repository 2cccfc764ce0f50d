#!/usr/bin/env python3
"""Writes examples/NAME.ipynb from examples/NAME.ts, so the notebook and the plain script never drift apart.

    python3 scripts/notebook_from_example.py examples/quick_start.ts examples/lcel_chain.ts

The script's leading /** */ comment becomes the first markdown cell. Each `// --- Title ---` line starts a section:
a markdown heading, then the `//` comment lines right after it as its text, then a code cell with the rest.
The code before the first section (imports, helpers) is the first code cell. Outputs are left empty.
test/examples/examples.test.ts checks that the committed notebooks match their scripts.
"""
import json, re, sys

def cells_of(ts):
    m = re.match(r"/\*\*\n(.*?)\n \*/\n", ts, re.S)
    intro = "\n".join(re.sub(r"^ \*( |$)", "", line) for line in m.group(1).split("\n"))
    title, _, rest = intro.partition("\n")
    cells = [("markdown", f"# {title}\n{rest}")]
    parts = re.split(r"^// --- (.*?) -+\n", ts[m.end():], flags=re.M)
    cells.append(("code", parts[0].strip()))
    for heading, code in zip(parts[1::2], parts[2::2]):
        lines = code.strip().split("\n")
        prose = []
        while lines and lines[0].startswith("// "):
            prose.append(lines.pop(0)[3:])
        cells.append(("markdown", f"## {heading.strip()}" + ("\n\n" + "\n".join(prose) if prose else "")))
        cells.append(("code", "\n".join(lines).strip()))
    return cells

def notebook(cells):
    out = []
    for i, (kind, text) in enumerate(cells):
        lines = [line + "\n" for line in text.split("\n")]
        lines[-1] = lines[-1].rstrip("\n")
        cell = {"cell_type": kind, "id": f"cell-{i:02d}", "metadata": {}, "source": lines}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": "TypeScript", "language": "typescript", "name": "tslab"},
            "language_info": {"file_extension": ".ts", "mimetype": "text/typescript", "name": "typescript"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }

for path in sys.argv[1:]:
    with open(path) as f:
        nb = notebook(cells_of(f.read()))
    with open(path[:-3] + ".ipynb", "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
