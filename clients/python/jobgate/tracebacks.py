"""Remote tracebacks, made readable here."""
from __future__ import annotations

import linecache
import re

_FRAME = re.compile(r'^  File "([^"]+)", line (\d+), in .*$')


def with_source(tb: str) -> str:
    """The remote traceback with source lines added from this machine's copies of the files: code
    shipped by value has no source file inside the box, so Python printed its frames without lines."""
    lines = tb.splitlines(keepends=True)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        m = _FRAME.match(line.rstrip("\n"))
        if m and not (i + 1 < len(lines) and lines[i + 1].startswith("    ")):
            src = linecache.getline(m.group(1), int(m.group(2))).strip()
            if src:
                out.append("    %s\n" % src)
    return "".join(out)
