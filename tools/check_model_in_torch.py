#!/usr/bin/python3
# check_model_in_torch.py
#
# Copyright 2026 The U-Net Studio authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""Opens a U-Net Studio model file in PyTorch, strictly.

Usage: tools/check_model_in_torch.py MODEL.safetensors [IMAGE]

Builds the network the file's metadata describes, loads every tensor with
load_state_dict(strict=True) and runs one forward pass: on IMAGE (needs
PIL) or on a random input of the smallest valid size near 256.  Prints the
configuration, the tensor count and the output shape; exits non-zero when
the file does not load.
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unet_torch as U  # noqa: E402


def smallest_input_at_least(config, wanted):
    size = max(wanted, 1)
    while True:
        try:
            config.output_size(size)
            return size
        except ValueError:
            size += 1


def load_image(path, config, mean, std):
    from PIL import Image  # optional: only for the IMAGE argument

    image = Image.open(path).convert("RGB")
    # Resize to a size the model accepts, keeping the input shape simple;
    # predictions on the original grid are the C tool's job (overlap tiles).
    width = smallest_input_at_least(config, image.width)
    height = smallest_input_at_least(config, image.height)
    image = image.resize((width, height), Image.BILINEAR)
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    x = data.reshape(height, width, 3).permute(2, 0, 1).float() / 255.0
    mean = torch.tensor(mean).view(3, 1, 1)
    std = torch.tensor(std).view(3, 1, 1)
    x = (x - mean) / std
    return x.unsqueeze(0)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        model, metadata = U.from_file(path)
    except (ValueError, KeyError, RuntimeError, OSError) as e:
        print(f"{path}: does not load in PyTorch: {e}", file=sys.stderr)
        return 1
    model.eval()
    config = model.config
    n_tensors = len(model.state_dict())
    n_params = sum(p.numel() for p in model.parameters())
    print(f"file:       {path}")
    print(f"config:     {config}")
    print(f"tensors:    {n_tensors} (strict load ok), "
          f"{n_params} trainable parameters")
    classes = json.loads(metadata.get("classes", "[]"))
    print(f"classes:    {', '.join(classes)}")
    for key, value in sorted(metadata.items()):
        if key not in ("classes", "palette"):
            print(f"  {key} = {value}")

    mean = json.loads(metadata.get("mean", json.dumps(U.DEFAULT_MEAN)))
    std = json.loads(metadata.get("std", json.dumps(U.DEFAULT_STD)))
    if len(sys.argv) == 3:
        x = load_image(sys.argv[2], config, mean, std)
    else:
        side = smallest_input_at_least(config, 256)
        x = torch.randn(1, config.in_channels, side, side)
    with torch.no_grad():
        logits = model(x)
    print(f"input:      {list(x.shape)}")
    print(f"output:     {list(logits.shape)}")
    if len(sys.argv) == 3:
        # A quick look at what the model sees: the share of each class.
        counts = torch.bincount(logits.argmax(1).flatten(),
                                minlength=config.classes)
        total = counts.sum().item()
        for index in counts.argsort(descending=True)[:5].tolist():
            if counts[index] > 0:
                name = classes[index] if index < len(classes) else str(index)
                print(f"  {name}: {100.0 * counts[index].item() / total:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
