#!/bin/sh
# train-default-model.sh — the recipe of the model built into unet and unet-studio
# (data/default.safetensors), from the VOC 2007 subset in ../shared/voc2007, seeded.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   tools/train-default-model.sh [RUN_DIR]     default: runs/default-model
#
# Trains on the 20 train images at half resolution (--input-scale 0.5) with copy-paste
# augmentation on every tile (--copy-paste 1), the pasted photos drawn more often when they show
# a class few training photos have (--paste-balance 0.3), at most one foreground class per photo
# (--max-classes 1, stored in the model and used by validation), re-estimates batch norm's
# statistics on the training images before every validation (the default), validates on the 16
# val images every 5 epochs, keeps the best checkpoint by val mIoU (RUN_DIR/best.safetensors), and
# prints its evaluation. It takes about 30 minutes on one free core of the project's machine
# (300 epochs); the same machine kind repeats it bit for bit. Interrupt it with Ctrl+C and
# continue with:  build/src/cli/unet train --resume RUN_DIR
# docs/model-card.md records the experiments behind these settings.

set -eu
cd "$(dirname "$0")/.."
builddir=${BUILDDIR:-build}
run=${1:-runs/default-model}
voc=${VOC2007_ROOT:-../shared/voc2007/VOCdevkit}
unet="$builddir/src/cli/unet"

ninja -C "$builddir" src/cli/unet

"$unet" train --dataset "$voc" --skip-bad -o "$run" \
  --padding same --norm batch --depth 4 --base 16 --dropout 0.5 \
  --input-scale 0.5 --tile 192 --batch 4 --epochs 300 \
  --lr 0.02 --schedule poly --warmup 50 --momentum 0.9 --weight-decay 0.0005 \
  --scale-min 0.6 --scale-max 1.4 --copy-paste 1 --paste-balance 0.3 --max-classes 1 \
  --val-every 5 --seed 3 --threads "${THREADS:-1}"

"$unet" evaluate --model "$run/best.safetensors" --dataset "$voc" --split val
"$unet" plot "$run" "$run/training.png"
echo "To ship it: cp $run/best.safetensors data/default.safetensors"
