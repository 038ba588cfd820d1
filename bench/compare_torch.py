#!/usr/bin/python3
# compare_torch.py
#
# Copyright 2026 The U-Net Studio authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""libunet against PyTorch on the same U-Net, side by side.

Runs `unet bench` and an equivalent PyTorch benchmark, each in its own
process (so each peak RSS belongs to that one configuration) with the same
thread count, and prints a markdown table.

  bench/compare_torch.py [--unet build/src/cli/unet] [--threads 2]
                         [--iterations 5] [--warmup 2] [--repeat 1]
                         [--config "--padding same ..."]
                         [--only-given] [--torch-only] [--json FILE|-]

Default configurations:
  (a) --padding valid --depth 4 --base 32 --tile 572 --batch 1
  (b) --padding same --depth 4 --base 16 --tile 256 --batch 4
A --config is added to them (or replaces them with --only-given).
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

DEFAULT_CONFIGS = [
    "--padding valid --depth 4 --base 32 --tile 572 --batch 1",
    "--padding same --depth 4 --base 16 --tile 256 --batch 4",
]


def parse_config(text):
    """The `unet bench` options of one configuration, as a dict."""
    p = argparse.ArgumentParser(prog="config", add_help=False)
    p.add_argument("--padding", default="valid", choices=["valid", "same"])
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--base", type=int, default=64)
    p.add_argument("--norm", default="none", choices=["none", "batch"])
    p.add_argument("--tile", type=int, default=572)
    p.add_argument("--batch", type=int, default=1)
    return vars(p.parse_args(shlex.split(text)))


def config_args(config):
    return ["--padding", config["padding"], "--depth", str(config["depth"]),
            "--base", str(config["base"]), "--norm", config["norm"],
            "--tile", str(config["tile"]), "--batch", str(config["batch"])]


def config_label(config):
    return (f"{config['padding']} d{config['depth']} b{config['base']} "
            f"{config['norm']} {config['tile']}px x{config['batch']}")


def run_child(argv, threads):
    """Runs argv alone and returns (stdout, peak RSS in MB of that child)."""
    env = dict(os.environ)
    # Both sides get the same cores; BLAS and OpenMP must not add their own.
    env["OMP_NUM_THREADS"] = str(threads)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    env["MKL_NUM_THREADS"] = str(threads)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    proc.stdout.close()
    # wait4 gives this child's own rusage, unlike RUSAGE_CHILDREN, which is
    # the maximum over every child waited for so far.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} exited with {proc.returncode}")
    return out.decode("utf-8"), usage.ru_maxrss / 1024.0


# --- the PyTorch side, run in a child process -------------------------------

def forward_flops(config, size):
    """Multiply-adds x 2 of one image's forward pass (convolutions only)."""
    import unet_torch as U

    c = U.UnetConfig(depth=config["depth"], base=config["base"],
                     padding=config["padding"], norm=config["norm"])
    shrink = 2 if c.padding == "valid" else 0
    flops = 0
    n = size
    cin = c.in_channels
    for level in range(c.depth + 1):
        w = c.width(level)
        n -= shrink
        flops += 2 * 9 * cin * w * n * n
        n -= shrink
        flops += 2 * 9 * w * w * n * n
        cin = w
        if level < c.depth:
            n //= 2
    for level in reversed(range(c.depth)):
        w = c.width(level)
        flops += 2 * 4 * (2 * w) * w * n * n  # up-conv, on its input size
        n *= 2
        n -= shrink
        flops += 2 * 9 * (2 * w) * w * n * n
        n -= shrink
        flops += 2 * 9 * w * w * n * n
    flops += 2 * c.base * c.classes * n * n
    return flops


def torch_bench(config, threads, iterations, warmup, dropout,
                memory_format="channels_last"):
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import torch
    import unet_torch as U

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    c = U.UnetConfig(depth=config["depth"], base=config["base"],
                     padding=config["padding"], norm=config["norm"],
                     dropout=dropout)
    model = U.UNet(c)
    U.init_weights(model)
    batch, tile = config["batch"], config["tile"]
    out = c.output_size(tile)
    x = torch.randn(batch, c.in_channels, tile, tile)
    labels = torch.randint(0, c.classes, (batch, out, out), dtype=torch.uint8)
    # channels_last is oneDNN's native layout and PyTorch's fastest CPU path here (about 25 %
    # faster than contiguous NCHW on this machine), so it is the fair opponent.
    if memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)

    model.eval()
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        start = time.perf_counter()
        for _ in range(iterations):
            model(x)
        forward_s = (time.perf_counter() - start) / iterations

    model.train()
    optimizer = U.make_optimizer(model, lr=1e-3, momentum=0.99,
                                 weight_decay=5e-4)

    def step():
        loss = U.unet_loss(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    train_s = (time.perf_counter() - start) / iterations

    flops = forward_flops(config, tile) * batch
    return {
        "config": dict(config, dropout=dropout, threads=threads,
                       iterations=iterations, torch=torch.__version__,
                       memory_format=memory_format),
        "forward_images_per_s": batch / forward_s,
        "train_images_per_s": batch / train_s,
        "forward_gflops": flops / forward_s / 1e9,
        # backward costs about twice the forward's multiply-adds
        "train_gflops": 3 * flops / train_s / 1e9,
        "peak_rss_mb": peak_rss_self_mb(),
    }


def peak_rss_self_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


# --- the parent -------------------------------------------------------------

def run_torch(config, args, dropout):
    argv = [sys.executable, os.path.abspath(__file__), "--torch-child",
            json.dumps(config), "--threads", str(args.threads),
            "--iterations", str(args.iterations), "--warmup",
            str(args.warmup), "--dropout", str(dropout),
            "--torch-memory-format", args.torch_memory_format]
    out, rss = run_child(argv, args.threads)
    result = json.loads(out)
    result["child_max_rss_mb"] = rss
    return result


def run_c(config, args):
    argv = ([args.unet, "bench"] + config_args(config) +
            ["--threads", str(args.threads),
             "--iterations", str(args.iterations),
             "--warmup", str(args.warmup)])
    out, rss = run_child(argv, args.threads)
    # `unet bench` prints one JSON object on stdout.
    result = json.loads(out)
    result["child_max_rss_mb"] = rss
    return result


def best_of(runs):
    """The fastest of repeated runs, per metric, with every run kept."""
    best = dict(runs[0])
    for key in ("forward_images_per_s", "train_images_per_s",
                "forward_gflops", "train_gflops"):
        best[key] = max(r[key] for r in runs)
    best["runs"] = runs
    return best


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fmt(x, digits=2):
    if x is None:
        return "–"
    return f"{x:.{digits}f}"


def print_table(rows, repeat):
    print("| config | C infer img/s | torch infer img/s | C/torch "
          "| C train img/s | torch train img/s | C/torch "
          "| C peak RSS MB | torch peak RSS MB | C/torch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        c = row.get("c") or {}
        t = row.get("torch") or {}
        c_fwd = c.get("forward_images_per_s")
        t_fwd = t.get("forward_images_per_s")
        c_train = c.get("train_images_per_s")
        t_train = t.get("train_images_per_s")
        c_rss = c.get("peak_rss_mb")
        t_rss = t.get("peak_rss_mb")
        print(f"| {row['label']} "
              f"| {fmt(c_fwd)} | {fmt(t_fwd)} | {fmt(ratio(c_fwd, t_fwd))} "
              f"| {fmt(c_train)} | {fmt(t_train)} "
              f"| {fmt(ratio(c_train, t_train))} "
              f"| {fmt(c_rss, 0)} | {fmt(t_rss, 0)} "
              f"| {fmt(ratio(c_rss, t_rss))} |")
    print()
    print("img/s ratios > 1: C faster; RSS ratio < 1: C leaner. "
          "Each side runs one configuration per process"
          + (f", best of {repeat} runs." if repeat > 1 else "."))


def main():
    p = argparse.ArgumentParser(
        description="Benchmark libunet against PyTorch, side by side.")
    p.add_argument("--unet", default=os.path.join(ROOT, "build", "src",
                                                  "cli", "unet"),
                   help="the unet CLI (default build/src/cli/unet)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2,
                   help="untimed iterations before timing, both sides")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per side (alternating); the table shows the "
                   "best, which is the least disturbed by other load")
    p.add_argument("--dropout", type=float, default=None,
                   help="PyTorch dropout (default: what `unet bench` "
                   "reports, else 0)")
    p.add_argument("--config", action="append", default=[],
                   help='extra configuration, e.g. "--padding same '
                   '--depth 3 --base 16 --tile 128 --batch 2"')
    p.add_argument("--only-given", action="store_true",
                   help="run only the --config configurations")
    p.add_argument("--torch-only", action="store_true")
    p.add_argument("--c-only", action="store_true")
    p.add_argument("--json", metavar="FILE",
                   help="also dump every result as JSON (- for stdout)")
    p.add_argument("--torch-memory-format", default="channels_last",
                   choices=["channels_last", "contiguous"],
                   help="PyTorch's tensor layout (default channels_last, its "
                   "fastest CPU path)")
    p.add_argument("--torch-child", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.torch_child:
        result = torch_bench(json.loads(args.torch_child), args.threads,
                             args.iterations, args.warmup,
                             args.dropout or 0.0, args.torch_memory_format)
        json.dump(result, sys.stdout)
        return 0

    texts = ([] if args.only_given else DEFAULT_CONFIGS) + args.config
    # Both sides share the cores: other work on the machine skews the ratios.
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f} before starting; "
              "timings will be noisy", file=sys.stderr)
    rows = []
    for text in texts:
        config = parse_config(text)
        row = {"label": config_label(config), "config": config,
               "load_average": os.getloadavg()[0]}
        print(f"running {row['label']} ...", file=sys.stderr)
        dropout = args.dropout
        c_runs, torch_runs = [], []
        # Alternating the sides spreads any outside load over both.
        for _ in range(args.repeat):
            if not args.torch_only:
                c_runs.append(run_c(config, args))
                if dropout is None:
                    dropout = c_runs[-1].get("config", {}).get("dropout")
            if not args.c_only:
                torch_runs.append(run_torch(config, args,
                                            float(dropout or 0.0)))
        if c_runs:
            row["c"] = best_of(c_runs)
        if torch_runs:
            row["torch"] = best_of(torch_runs)
        rows.append(row)

    if args.json == "-":
        json.dump(rows, sys.stdout, indent=2)
        print()
    else:
        print_table(rows, args.repeat)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
