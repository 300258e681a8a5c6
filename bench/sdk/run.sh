#!/bin/sh
# The Python SDK end to end beside Celery + Redis (bench/celery) in the same run; see bench.py.
#   bench/sdk/run.sh [BUILD_DIR] [N] [ROUNDTRIPS]       default: build 2000 200
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
case $build in /*) ;; *) build="$(pwd)/$build" ;; esac
export JOBGATE_BUILD="$build"
exec /usr/bin/python3 bench/sdk/bench.py "${2:-2000}" "${3:-200}"
