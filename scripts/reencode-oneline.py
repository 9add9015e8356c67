#!/usr/bin/env python3
"""Re-encode a buildx rawjson stream to the one-object-per-line layout.

buildx 0.12-0.14 (BuildKit 0.13) print each SolveStatus indented over many lines;
buildx 0.15 and later print each one compactly on a single line.  This reads the
indented layout (or a mix) and writes every JSON object as one compact line, the
way Go's encoding/json.Encoder writes it (no spaces, '<', '>' and '&' escaped as
\\u003c, \\u003e, \\u0026).  Lines that are not JSON (e.g. "ERROR: failed to
solve: ...") are kept as they are, in place.  A truncated last object is kept
verbatim too.

    scripts/reencode-oneline.py IN.rawjson [OUT.rawjson]     (default OUT: stdout)

Standard library only.
"""

from __future__ import annotations

import json
import sys


def go_compact(obj: object) -> str:
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    # Outside strings JSON has none of these characters, so replacing them
    # everywhere only touches string contents, as Go's HTML-safe encoder does.
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def reencode(text: str) -> str:
    dec = json.JSONDecoder()
    out: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        # skip blank space between objects
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        if text[pos] == "{":
            try:
                obj, end = dec.raw_decode(text, pos)
            except json.JSONDecodeError:
                # a truncated (or broken) object: keep the rest of it verbatim
                rest = text[pos:]
                out.append(rest.rstrip("\n"))
                break
            out.append(go_compact(obj))
            pos = end
        else:
            eol = text.find("\n", pos)
            eol = n if eol < 0 else eol
            out.append(text[pos:eol])
            pos = eol + 1
    return "".join(line + "\n" for line in out)


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        result = reencode(f.read())
    if len(argv) == 2:
        with open(argv[1], "w", encoding="utf-8") as f:
            f.write(result)
    else:
        sys.stdout.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
