#!/usr/bin/python3
# make_fixtures.py
#
# Copyright 2026 The U-Net Studio authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""Writes the PyTorch reference fixtures tests/unet/test-torch.c checks.

For each case, into tests/fixtures/:
  torch-<case>.model.safetensors     the initial weights, a model file
  torch-<case>.expected.safetensors  input, labels, [pixel_weights], the
                                     train-mode logits, eval_logits, loss,
                                     grad.<name> after one backward and
                                     step2.<name> after two SGD steps

Usage: tools/make_fixtures.py [OUTPUT_DIR]
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unet_torch as U  # noqa: E402

LR = 0.01
MOMENTUM = 0.99
WEIGHT_DECAY = 5e-4

# name, config, input (batch, height, width), with a pixel weight map
CASES = [
    ("valid", dict(depth=2, base=4, padding="valid", norm="none"),
     (2, 52, 60), True),
    ("same", dict(depth=2, base=4, padding="same", norm="none"),
     (2, 16, 20), False),
    ("same-bn", dict(depth=2, base=4, padding="same", norm="batch"),
     (2, 16, 20), False),
]


def make_case(name, config_args, size, with_weights, out_dir, seed):
    torch.manual_seed(seed)
    config = U.UnetConfig(dropout=0.0, **config_args)
    batch, height, width = size
    out_h = config.output_size(height)
    out_w = config.output_size(width)

    model = U.UNet(config)
    # Random biases and batch norm state, so that their gradients and the
    # running statistics updates are actually checked.
    U.init_weights(model, bias_range=0.1, random_norm=True)
    initial = {k: v.clone() for k, v in model.state_dict().items()}

    x = torch.randn(batch, 3, height, width)
    labels = torch.randint(0, config.classes, (batch, out_h, out_w),
                           dtype=torch.uint8)
    labels[torch.rand(batch, out_h, out_w) < 0.15] = U.IGNORE_LABEL
    pixel_weights = None
    if with_weights:
        pixel_weights = 0.5 + 2.5 * torch.rand(batch, out_h, out_w)

    # Inference (eval mode: running statistics) from the initial weights,
    # the path unet_model_predict takes.
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)

    # One forward/backward from the initial weights, in training mode (batch
    # statistics), as the C engine's unet_model_forward (training = TRUE).
    model.train()
    logits = model(x)
    loss = U.unet_loss(logits, labels, pixel_weights)
    model.zero_grad()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}

    # Two SGD steps, again from the initial weights: the forward above moved
    # the running statistics.
    model.load_state_dict(U._with_version(model, initial), strict=True)
    optimizer = U.make_optimizer(model, LR, MOMENTUM, WEIGHT_DECAY)
    losses = []
    for _ in range(2):
        step_logits = model(x)
        step_loss = U.unet_loss(step_logits, labels, pixel_weights)
        optimizer.zero_grad()
        step_loss.backward()
        optimizer.step()
        losses.append(step_loss.item())
    step2 = {k: v.clone() for k, v in model.state_dict().items()}

    # The model file: only model tensors, so that unet_model_load accepts it.
    model.load_state_dict(U._with_version(model, initial), strict=True)
    model_path = os.path.join(out_dir, f"torch-{name}.model.safetensors")
    U.save_model(model, model_path, {"data": "random (make_fixtures.py)"})

    expected = {"input": x, "labels": labels}
    if pixel_weights is not None:
        expected["pixel_weights"] = pixel_weights
    expected["logits"] = logits.detach()
    expected["eval_logits"] = eval_logits
    expected["loss"] = loss.detach().reshape(1)
    for n, g in grads.items():
        expected["grad." + n] = g
    for n, v in step2.items():
        expected["step2." + n] = v
    metadata = {
        "case": name,
        "lr": repr(LR),
        "momentum": repr(MOMENTUM),
        "weight_decay": repr(WEIGHT_DECAY),
        "seed": str(seed),
        "torch": torch.__version__,
    }
    expected_path = os.path.join(out_dir,
                                 f"torch-{name}.expected.safetensors")
    U.save_file(expected, expected_path, metadata)

    print(f"{name}: input {list(x.shape)} -> logits {list(logits.shape)}, "
          f"loss {loss.item():.6f}, step losses "
          f"{losses[0]:.6f} {losses[1]:.6f}; "
          f"{os.path.getsize(model_path)} + "
          f"{os.path.getsize(expected_path)} bytes")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = (sys.argv[1] if len(sys.argv) > 1 else
               os.path.join(here, os.pardir, "tests", "fixtures"))
    os.makedirs(out_dir, exist_ok=True)
    # float32 like the C engine; one thread and deterministic kernels so the
    # fixtures are reproducible.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.set_default_dtype(torch.float32)
    for index, (name, config, size, with_weights) in enumerate(CASES):
        make_case(name, config, size, with_weights, out_dir, 2026 + index)


if __name__ == "__main__":
    main()
