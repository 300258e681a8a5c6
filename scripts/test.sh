#!/bin/sh
# Run every test: install what is missing, build with warnings as errors, run the unit suites,
# the integration and end-to-end suites against a throwaway PostgreSQL, the Python SDK's suite (once,
# against build/), then all of it again under AddressSanitizer + UndefinedBehaviorSanitizer, and lint
# the OpenAPI contract.
#   scripts/test.sh            everything (what CI runs)
#   QUICK=1 scripts/test.sh    skip the sanitizer pass
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
./scripts/install-deps.sh

run_suites() { # $1 = build dir
    step "unit tests ($1)"
    # One at a time: the sandbox suites create boxes, cgroups and uids of their own on this host.
    (cd "$1" && ctest --output-on-failure)
    step "integration tests ($1), every response checked against openapi/openapi.yaml"
    JOBGATE_GATEWAY_BIN="$root/$1/gateway/jobgate-gateway" JOBGATE_BUILD_DIR="$root/$1" \
        PYTHONPATH="$root/tests/integration" \
        /usr/bin/python3 -m pytest -q -p no:cacheprovider -p contract_plugin tests/integration
    step "end-to-end tests ($1)"
    JOBGATE_BUILD="$root/$1" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e
}

step "build (warnings are errors)"
./scripts/build.sh build
run_suites build
step "Python SDK tests (build), with CPython's concurrent.futures tests against jobgate.Executor"
JOBGATE_BUILD="$root/build" /usr/bin/python3 -m pytest -q -p no:cacheprovider clients/python/tests

if [ "${QUICK:-0}" != 1 ]; then
    step "build with ASan + UBSan"
    ./scripts/build.sh build-asan -DJOBGATE_ASAN=ON -DJOBGATE_UBSAN=ON -DCMAKE_BUILD_TYPE=Debug
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_suites build-asan
fi

step "OpenAPI lint"
./scripts/openapi-lint.sh
step "OpenAPI: the real gateway through prism's validating proxy"
PRISM_REQUIRED=1 ./scripts/openapi-prism-check.sh smoke "$root/build/gateway/jobgate-gateway"

step "deployment: images, compose cluster, swarm stack, Helm chart"
./scripts/test-deploy.sh

step "all tests passed"
