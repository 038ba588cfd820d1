#!/bin/sh
# bootstrap.sh — set up a Debian 12 machine for U-Net Studio and build, test or benchmark it.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   tools/bootstrap.sh build   install missing Debian packages, then configure and build
#   tools/bootstrap.sh test    the same, then run the whole test suite and print "N passed, N failed"
#   tools/bootstrap.sh run [ARGS…]   the same as build, then start unet-studio from the build tree
#                              (with the shipped default model; ARGS go to the app)
#
# Packages already installed are left alone; apt-get runs only when one is missing.

set -eu

cd "$(dirname "$0")/.."
builddir=${BUILDDIR:-build}

packages="
  build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libjson-glib-dev libopenblas-dev libopenblas-openmp-dev
  libgdk-pixbuf-2.0-dev libpng-dev libxml2-dev libcairo2-dev libpango1.0-dev
  python3 fonts-dejavu-core
  libgtk-4-dev libadwaita-1-dev adwaita-icon-theme librsvg2-common
  xvfb xauth desktop-file-utils appstream libxml2-utils
"

# libxsmm (JIT kernels for the 3x3 convolutions) exists for x86-64 only; elsewhere the build
# uses OpenBLAS alone (meson option xsmm=auto).
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  packages="$packages libxsmm-dev"
fi

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "Installing missing Debian packages:$missing"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" --buildtype=debugoptimized
fi
ninja -C "$builddir"

case "${1:-build}" in
  build)
    ;;
  run)
    shift
    # Uninstalled: the settings schema comes from the build tree.
    GSETTINGS_SCHEMA_DIR="$builddir/data" exec "$builddir/src/app/unet-studio" "$@"
    ;;
  test)
    status=0
    meson test -C "$builddir" --print-errorlogs --num-processes 2 || status=$?
    python3 tools/count-tests.py "$builddir/meson-logs/testlog.json"
    exit $status
    ;;
  *)
    echo "usage: $0 [build|test|run [ARGS…]]" >&2
    exit 2
    ;;
esac
