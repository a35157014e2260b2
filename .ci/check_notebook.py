#!/usr/bin/env python3
"""check_notebook.py SOURCE.ipynb EXECUTED.ipynb

Checks a notebook that dotnet-repl executed against its source:
- no cell has an error output;
- each code cell tagged "expect-image" in the SOURCE shows a PNG (an image/png output, or an
  HTML <img> with a PNG data URI), and the PNG decodes to a PNG signature;
- each code cell tagged "expect-output" shows something (text, a table, an image).
Tags are read from the source because dotnet-repl drops cell ids and tags from the notebook it
writes; code cells are matched by position. Also refuses a SOURCE that holds outputs: committed
notebooks have clean outputs. Prints one line per problem and a summary; exits 1 on any problem.
Python 3 standard library only."""
import base64, json, re, sys


def text(v):
    return v if isinstance(v, str) else "".join(v)


def is_png(b64):
    try:
        return base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    except Exception:
        return False


def main(source_path, executed_path):
    source = json.load(open(source_path, encoding="utf-8"))
    executed = json.load(open(executed_path, encoding="utf-8"))
    src_cells = [c for c in source["cells"] if c["cell_type"] == "code"]
    out_cells = [c for c in executed["cells"] if c["cell_type"] == "code"]
    problems = []
    if len(src_cells) != len(out_cells):
        problems.append(f"{len(src_cells)} code cells in the source, {len(out_cells)} in the executed notebook")
    for i, src in enumerate(src_cells):
        name = f"code cell {i + 1}" + (f" ({src['id']})" if src.get("id") else "")
        if src.get("outputs") or src.get("execution_count") is not None:
            problems.append(f"{name}: the committed notebook holds outputs; clear them")
        if i >= len(out_cells):
            continue
        outs = out_cells[i].get("outputs", [])
        for o in outs:
            if o.get("output_type") == "error":
                first = (o.get("evalue") or "").strip().splitlines()[:1]
                problems.append(f"{name}: {o.get('ename')}: {first[0] if first else ''}")
        tags = src.get("metadata", {}).get("tags", [])
        if "expect-image" in tags:
            pngs = [text(o["data"]["image/png"]) for o in outs if "image/png" in o.get("data", {})]
            html = " ".join(text(o["data"]["text/html"]) for o in outs if "text/html" in o.get("data", {}))
            pngs += re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
            if not any(is_png(b) for b in pngs):
                problems.append(f"{name}: expected a PNG image output, found none")
        if "expect-output" in tags and not any(o.get("output_type") != "error" for o in outs):
            problems.append(f"{name}: expected an output, found none")
    for p in problems:
        print(f"{source_path}: {p}")
    print(f"{source_path}: {len(src_cells)} code cells checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
