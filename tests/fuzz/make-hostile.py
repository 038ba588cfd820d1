#!/usr/bin/env python3
# make-hostile.py — writes the classic hostile inputs of the fuzz corpora and regressions.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Run from anywhere; writes into tests/fuzz/corpus/NAME and tests/fuzz/regressions/NAME. Each
# input goes to both, except the 1 MB split-list line (regressions only, to keep the seeds small).

import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(name, filename, data, corpus=True):
    folders = ["regressions"] + (["corpus"] if corpus else [])
    for folder in folders:
        path = os.path.join(HERE, folder, name)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, filename), "wb") as f:
            f.write(data)


def safetensors(header, data=b"", length=None):
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def png(width, height, colour_type=3, bit_depth=8, idat=b""):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if colour_type == 3:
        out += chunk(b"PLTE", bytes(range(12)))
    return out + chunk(b"IDAT", idat or zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def main():
    # safetensors: the container and the model loader get the same files
    f32 = {"dtype": "F32"}
    hostile = {
        "header-past-end.safetensors": safetensors({}, length=1 << 20),
        "offsets-past-end.safetensors":
            safetensors({"a": dict(f32, shape=[250], data_offsets=[0, 1000])}, b"\0" * 8),
        "offsets-overlap.safetensors":
            safetensors({"a": dict(f32, shape=[2], data_offsets=[0, 8]),
                         "b": dict(f32, shape=[2], data_offsets=[4, 12])}, b"\0" * 12),
        "shape-negative.safetensors":
            safetensors({"a": dict(f32, shape=[-1], data_offsets=[0, 4])}, b"\0" * 4),
        # 2^32 · 2^32 · 4 bytes wraps to 0 in 64 bits, which would match empty offsets
        "shape-overflow.safetensors":
            safetensors({"a": dict(f32, shape=[1 << 32, 1 << 32], data_offsets=[0, 0])}),
        "shape-huge.safetensors":
            safetensors({"a": dict(f32, shape=[(1 << 63) - 1], data_offsets=[0, 4])}, b"\0" * 4),
    }
    for filename, data in hostile.items():
        put("safetensors", filename, data)
        put("model", filename, data)

    # annotation XML
    laughs = ['<?xml version="1.0"?>\n<!DOCTYPE annotation [\n  <!ENTITY lol "lol">\n']
    for i in range(1, 10):
        prev = "&lol;" if i == 1 else f"&lol{i - 1};"
        laughs.append(f'  <!ENTITY lol{i} "{prev * 10}">\n')
    laughs.append("]>\n<annotation><filename>&lol9;</filename>"
                  "<size><width>1</width><height>1</height><depth>3</depth></size></annotation>\n")
    put("annotation", "billion-laughs.xml", "".join(laughs).encode())
    put("annotation", "external-entity.xml",
        b'<?xml version="1.0"?>\n<!DOCTYPE annotation [\n'
        b'  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
        b"<annotation><filename>&xxe;</filename>"
        b"<size><width>1</width><height>1</height><depth>3</depth></size></annotation>\n")
    put("annotation", "deep-nesting.xml",
        b"<annotation>" + b"<a>" * 10000 + b"</a>" * 10000 +
        b"<size><width>1</width><height>1</height></size></annotation>\n")

    # mask PNG: a header that declares a terapixel image
    put("mask", "huge-dimensions.png", png(1000000, 1000000))
    put("image", "huge-dimensions.png", png(1000000, 1000000))

    # split lists
    put("lists", "long-line.txt", b"a" * (1 << 20) + b"\n", corpus=False)
    put("lists", "nul-bytes.txt", b"000032\n0000\x0033\n000039\n")
    put("lists", "crlf.txt", b"000032\r\n000033\r\n000039\r\n")


if __name__ == "__main__":
    main()
