#!/usr/bin/python3
# unet_torch.py
#
# Copyright 2026 The U-Net Studio authors
#
# SPDX-License-Identifier: GPL-3.0-or-later

"""The U-Net Studio network in PyTorch.

This is the reference the C engine (libunet) is tested against, and the
proof that its weights files open in the Python ecosystem.  Module names are
chosen so that ``state_dict()`` keys are exactly the tensor names of a
``unet-studio/1`` safetensors file (see docs/ARCHITECTURE.md).

There is no ``safetensors`` package on the build machines, so the container
is read and written here by its public specification: an 8-byte
little-endian header length, a JSON header, then the raw little-endian data.
"""

import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT_NAME = "unet-studio/1"
IGNORE_LABEL = 255

VOC_CLASSES = [
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus",
    "car", "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike",
    "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
]

# ImageNet statistics: the input is RGB in [0, 1], then (x - mean) / std.
DEFAULT_MEAN = [0.485, 0.456, 0.406]
DEFAULT_STD = [0.229, 0.224, 0.225]


def voc_palette(n):
    """The PASCAL VOC colormap: bits of the class index spread over R, G, B."""
    palette = []
    for index in range(n):
        r = g = b = 0
        c = index
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette.append([r, g, b])
    return palette


# --- safetensors ------------------------------------------------------------

_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_DTYPE_NAMES = {v: k for k, v in _DTYPES.items()}


def save_file(tensors, path, metadata=None):
    """Writes a dict of tensors (in its order) and string metadata."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        if tensor.dtype not in _DTYPE_NAMES:
            raise ValueError(f"{name}: unsupported dtype {tensor.dtype}")
        # numpy() would refuse bfloat16; viewing as bytes works for all.
        data = tensor.reshape(-1).view(torch.uint8).numpy().tobytes()
        if sys.byteorder != "little" and tensor.element_size() > 1:
            raise RuntimeError("big-endian hosts are not supported")
        header[name] = {
            "dtype": _DTYPE_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # The spec pads the header with spaces so the data starts 8-aligned.
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_file(path):
    """Returns (dict name -> tensor, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} past the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    data = bytearray(raw[8 + n:])
    tensors = {}
    # File order (by offset) keeps round trips stable.
    for name, info in sorted(header.items(),
                             key=lambda kv: kv[1]["data_offsets"][0]):
        dtype = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        shape = info["shape"]
        count = 1
        for s in shape:
            count *= s
        if end > len(data) or end - begin != count * _element_size(dtype):
            raise ValueError(f"{path}: tensor {name} has bad offsets")
        if count == 0:
            tensor = torch.empty(shape, dtype=dtype)
        else:
            # clone(): frombuffer shares the bytearray, and we want owners.
            tensor = torch.frombuffer(data, dtype=dtype, count=count,
                                      offset=begin).clone().reshape(shape)
        tensors[name] = tensor
    return tensors, metadata


def _element_size(dtype):
    return torch.empty((), dtype=dtype).element_size()


# --- the network ------------------------------------------------------------

class UnetConfig:
    def __init__(self, depth=4, base=64, in_channels=3, classes=21,
                 padding="valid", norm="none", dropout=0.0, class_names=None,
                 palette=None):
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be valid or same, not {padding}")
        if norm not in ("none", "batch"):
            raise ValueError(f"norm must be none or batch, not {norm}")
        self.depth = depth
        self.base = base
        self.in_channels = in_channels
        self.classes = classes
        self.padding = padding
        self.norm = norm
        self.dropout = dropout
        # The classes' names and RGB colours, as a model file stores them; by
        # default VOC's for 21 classes, "class0", "class1", … otherwise.
        if class_names is None:
            class_names = (VOC_CLASSES if classes == 21 else
                           [f"class{i}" for i in range(classes)])
        if len(class_names) != classes:
            raise ValueError(f"{len(class_names)} class names for {classes} classes")
        self.class_names = list(class_names)
        self.palette = [list(c) for c in (palette or voc_palette(classes))]

    def width(self, level):
        return self.base * 2 ** level

    def n_conv_layers(self):
        # Two per encoder level, two in the bottleneck, an up-conv and two
        # per decoder level, and the head.
        return 5 * self.depth + 3

    def output_size(self, n):
        """Output side for an input side, or ValueError where it breaks."""
        shrink = 4 if self.padding == "valid" else 0
        for level in range(self.depth):
            n -= shrink
            if n <= 0 or n % 2:
                raise ValueError(f"size breaks at encoder level {level}")
            n //= 2
        n -= shrink
        if n <= 0:
            raise ValueError("size breaks at the bottleneck")
        for level in reversed(range(self.depth)):
            n = 2 * n - shrink
            if n <= 0:
                raise ValueError(f"size breaks at decoder level {level}")
        return n

    def __repr__(self):
        return (f"UnetConfig(depth={self.depth}, base={self.base}, "
                f"in_channels={self.in_channels}, classes={self.classes}, "
                f"padding={self.padding!r}, norm={self.norm!r}, "
                f"dropout={self.dropout})")


def _batch_norm(channels):
    bn = nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1)
    # The file format has no num_batches_tracked (the momentum is fixed, so
    # the counter is never used); without the buffer state_dict() matches.
    bn.num_batches_tracked = None
    return bn


class ConvBlock(nn.Module):
    """conv1 [bn1] ReLU conv2 [bn2] ReLU, 3x3, bias kept even with norm."""

    def __init__(self, cin, cout, config):
        super().__init__()
        pad = 0 if config.padding == "valid" else 1
        batch = config.norm == "batch"
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=pad, bias=True)
        self.bn1 = _batch_norm(cout) if batch else None
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=pad, bias=True)
        self.bn2 = _batch_norm(cout) if batch else None

    def forward(self, x):
        x = self.conv1(x)
        if self.bn1 is not None:
            x = self.bn1(x)
        x = F.relu(x)
        x = self.conv2(x)
        if self.bn2 is not None:
            x = self.bn2(x)
        return F.relu(x)


class DecoderLevel(ConvBlock):
    """Up-conv 2x2 stride 2, concat [crop(skip), up], then the conv block."""

    def __init__(self, width, config):
        super().__init__(2 * width, width, config)
        self.up = nn.ConvTranspose2d(2 * width, width, 2, stride=2, bias=True)

    def forward(self, x, skip):
        up = self.up(x)
        skip = center_crop(skip, up.shape[2], up.shape[3])
        return super().forward(torch.cat([skip, up], dim=1))


def center_crop(x, h, w):
    top = (x.shape[2] - h) // 2
    left = (x.shape[3] - w) // 2
    return x[:, :, top:top + h, left:left + w]


class UNet(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.enc = nn.ModuleList()
        cin = config.in_channels
        for level in range(config.depth):
            self.enc.append(ConvBlock(cin, config.width(level), config))
            cin = config.width(level)
        self.drop = nn.Dropout(config.dropout)
        self.mid = ConvBlock(cin, config.width(config.depth), config)
        # dec[i] joins encoder level i; it runs from the deepest level up.
        self.dec = nn.ModuleList(
            DecoderLevel(config.width(level), config)
            for level in range(config.depth))
        self.head = nn.Conv2d(config.base, config.classes, 1, bias=True)

    def forward(self, x):
        skips = []
        for block in self.enc:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2, stride=2)
        x = self.mid(self.drop(x))
        for level in reversed(range(self.config.depth)):
            x = self.dec[level](x, skips[level])
        return self.head(x)


def unet_loss(logits, labels, pixel_weights=None):
    """Weighted softmax cross-entropy, mean over the non-ignored pixels."""
    nll = F.cross_entropy(logits, labels.long(), ignore_index=IGNORE_LABEL,
                          reduction="none")
    if pixel_weights is not None:
        nll = nll * pixel_weights
    counted = (labels != IGNORE_LABEL).sum()
    return nll.sum() / counted


def make_optimizer(model, lr=0.01, momentum=0.99, weight_decay=0.0):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                           weight_decay=weight_decay)


def init_weights(model, bias_range=0.0, random_norm=False):
    """He-normal (fan_in, ReLU) convolution weights.

    bias_range > 0 draws biases from U(-r, r); random_norm draws batch norm
    parameters and running statistics away from 1/0 so that tests exercise
    them.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, mode="fan_in",
                                        nonlinearity="relu")
                if bias_range > 0:
                    module.bias.uniform_(-bias_range, bias_range)
                else:
                    module.bias.zero_()
            elif isinstance(module, nn.BatchNorm2d):
                if random_norm:
                    module.weight.uniform_(0.8, 1.2)
                    module.bias.uniform_(-0.1, 0.1)
                    module.running_mean.uniform_(-0.2, 0.2)
                    module.running_var.uniform_(0.5, 1.5)
                else:
                    # reset_parameters() would also zero num_batches_tracked,
                    # which this network does not keep (it is None)
                    module.weight.fill_(1.0)
                    module.bias.zero_()
                    module.running_mean.zero_()
                    module.running_var.fill_(1.0)


def model_metadata(config, extra=None):
    metadata = {
        "format": FORMAT_NAME,
        "depth": str(config.depth),
        "base": str(config.base),
        "in_channels": str(config.in_channels),
        "padding": config.padding,
        "norm": config.norm,
        "dropout": f"{config.dropout:g}",
        "classes": json.dumps(config.class_names, ensure_ascii=False),
        "palette": json.dumps(config.palette),
        "mean": json.dumps(DEFAULT_MEAN),
        "std": json.dumps(DEFAULT_STD),
    }
    if extra:
        metadata.update({k: str(v) for k, v in extra.items()})
    return metadata


def save_model(model, path, extra=None):
    tensors = {k: v.float() for k, v in model.state_dict().items()}
    save_file(tensors, path, model_metadata(model.config, extra))


def config_from_metadata(metadata):
    if metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"not a {FORMAT_NAME} file "
                         f"(format {metadata.get('format')!r})")
    classes = json.loads(metadata.get("classes", "null"))
    palette = json.loads(metadata.get("palette", "null"))
    return UnetConfig(
        class_names=classes,
        palette=palette if palette and classes and len(palette) == len(classes) else None,
        depth=int(metadata["depth"]),
        base=int(metadata["base"]),
        in_channels=int(metadata.get("in_channels", "3")),
        classes=len(classes) if classes else 21,
        padding=metadata.get("padding", "valid"),
        norm=metadata.get("norm", "none"),
        dropout=float(metadata.get("dropout", "0")))


def from_file(path):
    """Builds the U-Net a model file (or checkpoint) describes and loads it.

    strict=True: every tensor must be there with its shape and no model
    tensor may be unknown; a checkpoint's optim.* buffers are set aside.
    Returns (model, metadata).
    """
    tensors, metadata = load_file(path)
    config = config_from_metadata(metadata)
    model = UNet(config)
    state = {k: v for k, v in tensors.items() if not k.startswith("optim.")}
    # Without a version in the state_dict's _metadata, BatchNorm's loader
    # adds a num_batches_tracked entry, which strict loading then rejects
    # since we removed that buffer: declare the current version.
    state = _with_version(model, state)
    model.load_state_dict(state, strict=True)
    return model, metadata


def _with_version(model, state):
    from collections import OrderedDict
    versioned = OrderedDict(state)
    versioned._metadata = OrderedDict()
    for name, module in model.named_modules():
        versioned._metadata[name] = {"version": module._version}
    return versioned
