#!/bin/sh
# screenshots.sh — take the README's and the metainfo's screenshots from the real application,
# in a virtual X display.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   tools/screenshots.sh [OUTPUT_DIR]     default: docs/images
#
# Uses the build in $BUILDDIR (default build) and the VOC subset in ../shared/voc2007.

set -eu
cd "$(dirname "$0")/.."
builddir=${BUILDDIR:-build}
out=${1:-docs/images}

ninja -C "$builddir" tools/screenshots
mkdir -p "$out"
GSETTINGS_SCHEMA_DIR="$builddir/data" GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1 \
GDK_BACKEND=x11 GSK_RENDERER=cairo \
VOC2007_ROOT="${VOC2007_ROOT:-$(pwd)/../shared/voc2007/VOCdevkit}" \
  xvfb-run -a -s "-screen 0 1400x900x24" "$builddir/tools/screenshots" "$out"
