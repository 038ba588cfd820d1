#!/usr/bin/env python3
# count-tests.py — the closing line of a test run, counted from meson's testlog.json files.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   count-tests.py [TESTLOG.json…]
#
# Each GTest program reports its cases over TAP; a case is one "ok"/"not ok" line. A program
# that crashed, timed out or printed no TAP counts as one failure of its own, so a broken
# program can never make the total look better. CI runs the suite in several phases (plain,
# sanitizers, valgrind, fuzzing), each with its own log: the counts add up over all the logs
# given, so a test run in three phases counts three times. A log that is missing (its phase
# could not even start) counts as one failure.

import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def count(path, totals):
    try:
        log = open(path, encoding="utf-8")
    except OSError as e:
        print(f"{path}: {e.strerror}", file=sys.stderr)
        totals["failed"] += 1
        return
    with log:
        for line in log:
            entry = json.loads(line)
            cases = [TAP_LINE.match(l) for l in (entry.get("stdout") or "").splitlines()]
            cases = [m for m in cases if m]
            result = entry.get("result")
            for m in cases:
                if m.group(1) == "not ok":
                    totals["failed"] += 1
                elif "# SKIP" in m.group(2):
                    totals["skipped"] += 1
                else:
                    totals["passed"] += 1
            if result in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS") and \
                    not any(m.group(1) == "not ok" for m in cases):
                totals["failed"] += 1
            elif not cases and result == "OK":
                totals["passed"] += 1


def main(paths):
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for path in paths:
        count(path, totals)
    summary = f"{totals['passed']} passed, {totals['failed']} failed"
    if totals["skipped"]:
        summary += f", {totals['skipped']} skipped"
    print(summary)


if __name__ == "__main__":
    main(sys.argv[1:] or ["build/meson-logs/testlog.json"])
