#!/usr/bin/python3
# distributed.py
#
# Copyright 2026 The U-Net Studio authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""Data-parallel `unet train` on this machine, and what it would do on a cluster.

Times SGD steps of one configuration on the VOC subset for
  1 rank  x 1 thread   (unet train --threads 1)
  2 ranks x 1 thread   (mpirun -n 2 unet train --threads 1), over shared memory and over
                       TCP on the loopback, with and without overlapping the gradient
                       reduction with backward
  1 rank  x 2 threads  (unet train --threads 2)
at the same global batch, and prints a markdown table: the time of a step (min and median of the
repeats: the machine may be shared) and, for the distributed runs, the time each step
waits (in the last long run, mean over the ranks) for the gradient sums,
the batch-norm sums and the per-step agreement. Then a model on paper of the scaling to 4,
16 and 64 machines at 10 and 100 Gbit/s: ring all-reduce of the gradients against the
compute time of a step measured here.

A step's time is (T(long) - T(short)) / (long - short) for two runs of different length, so
that start-up, the first epoch's decoding and the final checkpoint cancel out.

  bench/distributed.py [--unet build/src/cli/unet] [--dataset ../shared/voc2007/VOCdevkit]
                       [--config "--padding same --norm batch --depth 4 --base 16 --tile 256"]
                       [--batch 4] [--short 6] [--long 16] [--repeat 3] [--quick]
"""

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SUMMARY = re.compile(r"distributed: (\d+) ranks?, (\d+) steps.*waiting per step: gradients "
                     r"([\d.]+) ms, batch norm ([\d.]+) ms, step start and loss ([\d.]+) ms.*; "
                     r"([\d.]+) MB of gradients in (\d+) reductions? per step")


def mpirun_prefix(ranks, transport):
    argv = ["mpirun", "-n", str(ranks), "--bind-to", "core"]
    if os.geteuid() == 0:
        argv.append("--allow-run-as-root")
    if transport == "tcp":
        argv += ["--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo"]
    return argv


def run_once(setup, args, steps):
    """Wall seconds of one run, and its distributed summary (or None)."""
    ranks, threads, transport, overlap = setup
    with tempfile.TemporaryDirectory(prefix="unet-bench-") as tmp:
        argv = []
        if ranks > 1:
            argv += mpirun_prefix(ranks, transport)
        argv += [args.unet, "train", "--dataset", args.dataset, "--skip-bad", "-o",
                 os.path.join(tmp, "run"), "--no-validation", "--steps", str(steps),
                 "--threads", str(threads), "--momentum", "0.9", "--seed", "3",
                 "--batch", str(args.batch // ranks)] + shlex.split(args.config)
        if ranks > 1 and not overlap:
            argv.append("--mpi-no-overlap")
        # Passive OpenMP threads: spinning ones turn every barrier into a wait for a thread the
        # scheduler has put aside, on a machine that other work shares.
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"))
        start = time.monotonic()
        proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, check=False)
        seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed:\n{proc.stderr}")
    match = SUMMARY.search(proc.stderr)
    return seconds, match


def measure(setup, args):
    """Per-step seconds of each repeat, and the last long run's summary."""
    per_step, summary = [], None
    for _ in range(args.repeat):
        short, _ = run_once(setup, args, args.short)
        long, summary = run_once(setup, args, args.long)
        per_step.append((long - short) / (args.long - args.short))
    return per_step, summary


def label(setup):
    ranks, threads, transport, overlap = setup
    text = f"{ranks} rank{'s' if ranks > 1 else ''} x {threads} thread{'s' if threads > 1 else ''}"
    if ranks > 1:
        text += f", {'shared memory' if transport == 'sm' else 'TCP loopback'}"
        text += "" if overlap else ", no overlap"
    return text


def ring_allreduce(nbytes, ranks, gbit, latency):
    """Seconds of a ring all-reduce: 2 (N-1) steps, each moving nbytes / N."""
    if ranks == 1:
        return 0.0
    return 2 * (ranks - 1) * (latency + nbytes / ranks / (gbit * 1e9 / 8))


def paper_model(step_seconds, grad_bytes, norm_layers, batch_per_rank, source):
    """Scaling of weak data parallelism (each rank keeps its batch) on paper."""
    print()
    print(f"Model on paper: a step computes for {step_seconds * 1e3:.0f} ms per rank on this "
          f"machine ({source}, batch {batch_per_rank}) and 8 times "
          f"faster on a 16-core node; gradients {grad_bytes / 1e6:.2f} MB per step in a ring "
          f"all-reduce (2 (N-1) messages of 1/N of them, 20 us latency at 10 Gbit/s, 5 us at "
          f"100); {norm_layers} batch-norm layers reduce 3 small vectors each per step "
          f"(log2 N latencies each). Overlapped: the gradients travel during the last two "
          f"thirds of the step (backward).")
    print()
    print("| compute | ranks | link | gradient all-reduce | batch-norm latency | step, overlapped "
          "| step, not overlapped | speed-up (overlapped) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for label, compute in (("this machine", step_seconds), ("16-core node", step_seconds / 8)):
        for gbit, latency in ((10, 20e-6), (100, 5e-6)):
            for ranks in (1, 4, 16, 64):
                grad = ring_allreduce(grad_bytes, ranks, gbit, latency)
                # small vectors go by recursive doubling: log2 N rounds
                rounds = (ranks - 1).bit_length()
                norm = 3 * norm_layers * rounds * latency
                hidden = min(grad, compute * 2 / 3)
                with_overlap = compute + norm + grad - hidden
                without = compute + norm + grad
                print(f"| {label} | {ranks} | {gbit} Gbit/s | {grad * 1e3:.1f} ms | "
                      f"{norm * 1e3:.1f} ms | {with_overlap * 1e3:.0f} ms | "
                      f"{without * 1e3:.0f} ms | {ranks * compute / with_overlap:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unet", default=os.path.join(ROOT, "build", "src", "cli", "unet"))
    parser.add_argument("--dataset", default=os.path.join(ROOT, "..", "shared", "voc2007",
                                                          "VOCdevkit"))
    parser.add_argument("--config",
                        default="--padding same --norm batch --depth 4 --base 16 --tile 256")
    parser.add_argument("--batch", type=int, default=4, help="global batch (default 4)")
    parser.add_argument("--short", type=int, default=6)
    parser.add_argument("--long", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="one repeat of three setups (a smoke test of this script)")
    parser.add_argument("--model-only", nargs=3, type=float, metavar=("STEP_MS", "GRAD_MB",
                                                                        "NORM_LAYERS"),
                        help="only the model on paper, for a step of STEP_MS ms per rank at "
                             "--batch, GRAD_MB MB of gradients and NORM_LAYERS batch-norm layers")
    args = parser.parse_args()

    if args.model_only:
        step_ms, grad_mb, norm_layers = args.model_only
        paper_model(step_ms / 1e3, grad_mb * 1e6, int(norm_layers), args.batch, "given")
        return

    setups = [(1, 1, None, True), (2, 1, "sm", True), (2, 1, "sm", False),
              (2, 1, "tcp", True), (2, 1, "tcp", False), (1, 2, None, True)]
    if args.quick:
        args.repeat, args.short, args.long = 1, 2, 4
        setups = [setups[0], setups[1], setups[5]]

    print(f"`unet train {args.config}`, global batch {args.batch}, steps {args.short} and "
          f"{args.long}, {args.repeat} repeats")
    print()
    print("| setup | step (min) | step (median) | steps/s (best) | waits per step: gradients | "
          "batch norm | step start + loss |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    results = {}
    for setup in setups:
        per_step, summary = measure(setup, args)
        results[setup] = (per_step, summary)
        if summary:
            waits = (f"{float(summary.group(3)):.1f} ms | {float(summary.group(4)):.1f} ms | "
                     f"{float(summary.group(5)):.1f} ms |")
        else:
            waits = "– | – | – |"
        print(f"| {label(setup)} | {min(per_step) * 1e3:.0f} ms | "
              f"{statistics.median(per_step) * 1e3:.0f} ms | {1 / min(per_step):.3f} | {waits}",
              flush=True)

    summaries = [s for _, s in results.values() if s]
    if summaries:
        grad_bytes = float(summaries[0].group(6)) * 1e6
        depth = int(re.search(r"--depth (\d+)", args.config).group(1)) \
            if "--depth" in args.config else 4
        norm_layers = 4 * depth + 2 if "--norm batch" in args.config else 0
        threads2 = results.get((1, 2, None, True))
        if threads2:
            # the fastest repeat: the one the machine's other work disturbed least
            paper_model(min(threads2[0]), grad_bytes, norm_layers, args.batch,
                        "1 rank x 2 threads, fastest repeat above")
        for setup, (per_step, summary) in results.items():
            if summary and setup[3] is False:
                print(f"\n{label(setup)}: the whole gradient's reduction after backward took "
                      f"{float(summary.group(3)):.1f} ms per step, "
                      f"{float(summary.group(3)) / (statistics.median(per_step) * 1e3) * 100:.1f} "
                      f"% of the step.")


if __name__ == "__main__":
    main()
