"""Reads an agriwaste CSV export with Python's csv module, as a consumer would.

Usage: check_csv.py FILE. Prints one JSON object: whether the file starts with a UTF-8
byte order mark, whether every record ends with CRLF, the header, the number of rows, the
set of row lengths and the value of each row's first column (the survey id).
"""

import csv
import json
import sys

path = sys.argv[1]
with open(path, "rb") as raw:
    data = raw.read()
bom = data.startswith(b"\xef\xbb\xbf")

with open(path, newline="", encoding="utf-8-sig") as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = list(reader)

# Every record ends with CRLF (a line break inside a quoted value is the value's own).
crlf = data.endswith(b"\r\n") and data.count(b"\r\n") == len(rows) + 1

print(json.dumps({
    "bom": bom,
    "crlf": crlf,
    "header": header,
    "rows": len(rows),
    "row_lengths": sorted({len(r) for r in rows}),
    "ids": [r[0] for r in rows],
    "townships": [r[2] for r in rows],
    "villages": [r[3] for r in rows],
}, ensure_ascii=False))
