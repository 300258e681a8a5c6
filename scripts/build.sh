#!/bin/sh
# Configure and build into DIR (default build/) with warnings as errors; extra args go to cmake.
#   scripts/build.sh [DIR] [-DJOBGATE_ASAN=ON ...]
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
cmake -S . -B "$dir" -DJOBGATE_WERROR=ON "$@" >"$dir.cmake.log" 2>&1 || { cat "$dir.cmake.log" >&2; exit 1; }
rm -f "$dir.cmake.log"
cmake --build "$dir" -j"$(nproc)"
