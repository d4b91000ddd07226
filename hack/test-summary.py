#!/usr/bin/env python3
"""Sums meson's JSON test logs into one line: "N passed, N failed, N skipped".

A Catch2 executable counts as its test cases (read from its summary line), a
script that ends with "N passed, N failed" as its checks; any other test
counts as one. With CI=true, any skipped test fails the run.
"""
import json
import os
import re
import sys

ALL_PASSED = re.compile(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)")
MIXED = re.compile(r"test cases:\s+(\d+) \|\s+(\d+) passed \|\s+(\d+) failed")
PLAIN = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def count(entry):
    result = entry.get("result", "")
    out = entry.get("stdout", "") or ""
    if result == "SKIP":
        return 0, 0, 1
    m = ALL_PASSED.search(out)
    if m and result == "OK":
        return int(m.group(1)), 0, 0
    m = PLAIN.search(out)
    if m:
        failed = int(m.group(2))
        return int(m.group(1)), max(failed, 1 if result != "OK" else 0), 0
    m = MIXED.search(out)
    if m:
        return int(m.group(2)), max(int(m.group(3)), 1 if result != "OK" else 0), 0
    return (1, 0, 0) if result in ("OK", "EXPECTEDFAIL") else (0, 1, 0)


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                entry = json.loads(line)
                p, fl, s = count(entry)
                if s:
                    print(f"skipped: {entry.get('name')}", file=sys.stderr)
                if fl:
                    print(f"failed: {entry.get('name')}", file=sys.stderr)
                passed, failed, skipped = passed + p, failed + fl, skipped + s
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if failed:
        return 1
    if skipped and os.environ.get("CI") == "true":
        print("CI=true: a skipped test is a failure", file=sys.stderr)
        return 1
    if passed == 0:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
