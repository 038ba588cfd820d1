#!/usr/bin/env python3
# count-tests.py — the closing line of a test run, counted from meson's testlog.json.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Each GTest program reports its cases over TAP; a case is one "ok"/"not ok" line. A program
# that crashed, timed out or printed no TAP counts as one failure of its own, so a broken
# program can never make the total look better.

import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def main(path):
    passed = failed = skipped = 0
    with open(path, encoding="utf-8") as log:
        for line in log:
            entry = json.loads(line)
            cases = [TAP_LINE.match(l) for l in (entry.get("stdout") or "").splitlines()]
            cases = [m for m in cases if m]
            result = entry.get("result")
            for m in cases:
                if m.group(1) == "not ok":
                    failed += 1
                elif "# SKIP" in m.group(2):
                    skipped += 1
                else:
                    passed += 1
            if result in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS") and \
                    not any(m.group(1) == "not ok" for m in cases):
                failed += 1
            elif not cases and result == "OK":
                passed += 1
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json")
