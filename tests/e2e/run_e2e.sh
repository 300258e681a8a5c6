#!/bin/sh
# End-to-end tests: PostgreSQL, the gateway and executors as real processes (see conftest.py).
#   tests/e2e/run_e2e.sh [pytest args]     JOBGATE_BUILD=build-ex, JOBGATE_E2E_BACKEND=sandbox|bare
set -eu
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 -m pytest tests/e2e -v "$@"
