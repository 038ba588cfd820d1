#!/bin/sh
# bootstrap.sh — set up a Debian 12 machine for U-Net Studio and build, test or benchmark it.
#
# Copyright 2026 The U-Net Studio authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   tools/bootstrap.sh build   install missing Debian packages, then configure and build
#   tools/bootstrap.sh test    the same, then run the test suite in every phase CI runs and print
#                              "N passed, N failed" summed over the phases:
#                                1. build/            the whole suite
#                                2. build-asan/       the whole suite under ASan+UBSan
#                                3. build/            the unet and voc suites under valgrind
#                                4. build-fuzz/       the fuzz suites (clang, libFuzzer), when the
#                                                     tree has them
#                              Every phase runs even when an earlier one failed; the exit status
#                              is non-zero when any did. PHASES="1 3" runs only some.
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
  clang libclang-rt-14-dev valgrind
  libopenmpi-dev openmpi-bin
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
    logs=""
    phases=${PHASES:-1 2 3 4}
    phase() {
      echo "=== phase $1 ($(date -u +%H:%M:%S))"
    }
    # A phase's log, removed first so that a phase that cannot start counts as a failure
    # rather than as the previous run's result.
    fresh_log() {
      rm -f "$1"
      logs="$logs $1"
    }
    case " $phases " in *" 1 "*)
      phase "1: the whole suite in $builddir"
      fresh_log "$builddir/meson-logs/testlog.json"
      meson test -C "$builddir" --print-errorlogs --num-processes 2 || status=1
    esac
    case " $phases " in *" 2 "*)
      phase "2: the whole suite under AddressSanitizer and UndefinedBehaviorSanitizer"
      asandir=${ASAN_BUILDDIR:-build-asan}
      fresh_log "$asandir/meson-logs/testlog.json"
      if { [ -f "$asandir/build.ninja" ] ||
           meson setup "$asandir" --buildtype=debugoptimized \
             -Db_sanitize=address,undefined -Db_lundef=false; } &&
         ninja -C "$asandir"; then
        # Any undefined behaviour fails its test, with the stack that led to it.
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ASAN_OPTIONS=detect_leaks=1 \
          meson test -C "$asandir" --print-errorlogs --num-processes 2 || status=1
      else
        status=1
      fi
    esac
    case " $phases " in *" 3 "*)
      phase "3: the unet and voc suites under valgrind"
      mkdir -p "$builddir/meson-logs"
      fresh_log "$builddir/meson-logs/testlog-valgrind.json"
      meson test -C "$builddir" --setup valgrind --suite unet --suite voc \
        --print-errorlogs --num-processes 2 || status=1
    esac
    case " $phases " in *" 4 "*)
      # The libFuzzer harnesses need clang and the meson option "fuzzing"; until the tree has
      # both, this phase is skipped. They do not need the GTK application.
      if [ -f tests/fuzz/meson.build ] && grep -q "'fuzzing'" meson_options.txt; then
        phase "4: the fuzz suites in build-fuzz (clang, libFuzzer, ASan+UBSan)"
        fuzzdir=${FUZZ_BUILDDIR:-build-fuzz}
        fresh_log "$fuzzdir/meson-logs/testlog.json"
        if { [ -f "$fuzzdir/build.ninja" ] ||
             CC=clang meson setup "$fuzzdir" --buildtype=debugoptimized -Dfuzzing=enabled \
               -Dapp=disabled -Db_sanitize=address,undefined -Db_lundef=false; } &&
           ninja -C "$fuzzdir"; then
          UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
          ASAN_OPTIONS=detect_leaks=1 \
            meson test -C "$fuzzdir" --suite fuzz --suite fuzz-regressions \
              --print-errorlogs --num-processes 2 || status=1
        else
          status=1
        fi
      else
        echo "=== phase 4: skipped (no tests/fuzz/meson.build or no meson option fuzzing yet)"
      fi
    esac
    phase "end"
    # shellcheck disable=SC2086 # one argument per log
    python3 tools/count-tests.py $logs
    exit $status
    ;;
  *)
    echo "usage: $0 [build|test|run [ARGS…]]" >&2
    exit 2
    ;;
esac
