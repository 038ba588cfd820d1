#!/usr/bin/python3
# own_data_torch.py
#
# Copyright 2026 The U-Net Studio authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""A plain PyTorch training loop on a two-class folder, for a fixed wall-clock time.

The yardstick of "Your own data" in the README: the same U-Net as `unet train`
builds (tools/unet_torch.py: same padding, batch norm, depth 4, base 16), the
same optimiser (SGD, momentum 0.9, lr 0.01, constant), random 256-pixel tiles
with flips, batch 4, softmax cross-entropy, on the ids of splits/train.txt;
after --seconds of wall clock (data loading included) it saves the weights as a
unet-studio model, so that `unet evaluate` scores it exactly as it scores the
C engine's model on the held-out split.

    apt-get install python3-torch python3-pil
    bench/own_data_torch.py --dataset DIR --seconds 600 -o torch.safetensors
    unet evaluate --model torch.safetensors --dataset DIR --split val

Masks are read as `unet` reads binary masks: 0 the first class, 255 (or 1) the
second.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import unet_torch  # noqa: E402


def find_folder(root, names):
    for name in names:
        if os.path.isdir(os.path.join(root, name)):
            return os.path.join(root, name)
    raise SystemExit(f"{root}: none of {', '.join(names)}")


def load_pairs(root, ids):
    images = find_folder(root, ["images", "image", "imgs", "img"])
    masks = find_folder(root, ["masks", "mask", "labels", "label"])
    by_id = {os.path.splitext(f)[0]: f for f in os.listdir(images)}
    mask_by_id = {os.path.splitext(f)[0]: f for f in os.listdir(masks)}
    pairs = []
    for i in ids:
        rgb = np.asarray(Image.open(os.path.join(images, by_id[i])).convert("RGB"),
                         dtype=np.float32) / 255.0
        mask = np.asarray(Image.open(os.path.join(masks, mask_by_id[i])).convert("L"))
        labels = (mask > 0).astype(np.int64)
        pairs.append((rgb, labels))
    return pairs


def batch_of(pairs, size, tile, rng, mean, std):
    xs, ys = [], []
    for _ in range(size):
        rgb, labels = pairs[rng.integers(len(pairs))]
        h, w = labels.shape
        y0 = rng.integers(h - tile + 1)
        x0 = rng.integers(w - tile + 1)
        x = rgb[y0:y0 + tile, x0:x0 + tile]
        y = labels[y0:y0 + tile, x0:x0 + tile]
        if rng.random() < 0.5:
            x, y = x[:, ::-1], y[:, ::-1]
        if rng.random() < 0.5:
            x, y = x[::-1], y[::-1]
        xs.append(((x - mean) / std).transpose(2, 0, 1))
        ys.append(y)
    return (torch.from_numpy(np.ascontiguousarray(np.stack(xs))),
            torch.from_numpy(np.ascontiguousarray(np.stack(ys))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", required=True)
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    args = p.parse_args()

    start = time.monotonic()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    with open(os.path.join(args.dataset, "splits", "train.txt")) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    pairs = load_pairs(args.dataset, ids)
    config = unet_torch.UnetConfig(depth=4, base=16, classes=2, padding="same",
                                   norm="batch", class_names=["membrane", "cell"])
    model = unet_torch.UNet(config)
    model.train()
    mean = np.array(unet_torch.DEFAULT_MEAN, dtype=np.float32)
    std = np.array(unet_torch.DEFAULT_STD, dtype=np.float32)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    steps = 0
    while time.monotonic() - start < args.seconds:
        x, y = batch_of(pairs, args.batch, args.tile, rng, mean, std)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        steps += 1
        if steps % 20 == 0:
            print(f"step {steps} loss {loss.item():.4f} "
                  f"{time.monotonic() - start:.0f} s", file=sys.stderr)
    model.eval()
    unet_torch.save_model(model, args.output,
                          {"provenance": f"bench/own_data_torch.py, {steps} steps in "
                                         f"{args.seconds:g} s"})
    print(f"{steps} steps in {time.monotonic() - start:.1f} s; model: {args.output}")


if __name__ == "__main__":
    main()
