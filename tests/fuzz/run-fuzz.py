#!/usr/bin/env python3
# run-fuzz.py — one libFuzzer harness as a meson test.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fuzz mode: copies the seeds (tests/fuzz/corpus/NAME) and the past crashes
# (tests/fuzz/regressions/NAME) into a temporary corpus, so that the repository is never written,
# and fuzzes for --seconds ($UNET_FUZZ_SECONDS overrides it). Replay mode (--replay): runs every
# file of tests/fuzz/regressions/NAME once. The exit status is libFuzzer's: 0, or not 0 for a
# crash, a leak, a timeout or running out of memory; crashing inputs are kept in --artifacts.

import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def files_in(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, f)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("harness")
    parser.add_argument("--name", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--regressions", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--max-len", type=int, default=65536)
    parser.add_argument("--replay", action="store_true")
    args = parser.parse_args()

    os.makedirs(args.artifacts, exist_ok=True)
    # libFuzzer's own exit status for a finding is 77, which meson reads as "skipped"
    common = [args.harness, "-rss_limit_mb=2048", "-timeout=10", "-error_exitcode=1",
              "-artifact_prefix=" + os.path.join(args.artifacts, "")]

    if args.replay:
        inputs = files_in(args.regressions)
        if not inputs:
            print(f"fuzz-{args.name}: no regression inputs")
            return 0
        print(f"fuzz-{args.name}: replaying {len(inputs)} inputs", flush=True)
        return subprocess.call(common + inputs)

    seconds = int(os.environ.get("UNET_FUZZ_SECONDS", args.seconds))
    with tempfile.TemporaryDirectory(prefix=f"unet-fuzz-{args.name}-") as corpus:
        for path in files_in(args.corpus) + files_in(args.regressions):
            shutil.copy(path, corpus)
        print(f"fuzz-{args.name}: {seconds} s from {len(os.listdir(corpus))} seeds", flush=True)
        return subprocess.call(common + [f"-max_total_time={seconds}", f"-max_len={args.max_len}",
                                         "-print_final_stats=1", corpus])


if __name__ == "__main__":
    sys.exit(main())
