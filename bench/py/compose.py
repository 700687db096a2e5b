"""Writes BENCHMARKS.md from its template: each line `<!-- results: NAME -->`
becomes the content of RESULTS_DIR/NAME, `{{date}}`, `{{commit}}` and
`{{commands}}` are filled in.

Usage: python3 compose.py TEMPLATE RESULTS_DIR OUTPUT DATE COMMIT COMMAND...
"""
import os
import re
import sys

template, results, output, date, commit, *commands = sys.argv[1:]
text = open(template).read()


def include(match: re.Match) -> str:
    path = os.path.join(results, match.group(1))
    if not os.path.exists(path):
        sys.exit(f"compose: {path} is missing: run its suite (bench/run.sh)")
    return open(path).read().rstrip("\n")


text = re.sub(r"^<!-- results: (\S+) -->$", include, text, flags=re.M)
text = text.replace("{{date}}", date).replace("{{commit}}", commit)
text = text.replace("{{commands}}", "\n".join(f"- `{c}`" for c in commands))
open(output, "w").write(text)
