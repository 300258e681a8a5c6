#!/bin/sh
# Lint openapi/openapi.yaml with redocly (recommended rules, tuned in openapi/redocly.yaml).
#   scripts/openapi-lint.sh          -> installs @redocly/cli into tests/.tools once, then lints
# Exits non-zero on any error or warning (the document is kept warning-free).
# Environment: JOBGATE_TOOLS_DIR (default tests/.tools, git-ignored), REDOCLY_VERSION (default 2).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${JOBGATE_TOOLS_DIR:-$ROOT/tests/.tools}
REDOCLY_VERSION=${REDOCLY_VERSION:-2}
REDOCLY=$TOOLS/node_modules/.bin/redocly

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

if [ ! -x "$REDOCLY" ]; then
    command -v npm >/dev/null 2>&1 || {
        echo "openapi-lint: npm is needed to install @redocly/cli (apt-get install npm)" >&2
        exit 2
    }
    echo "openapi-lint: installing @redocly/cli@$REDOCLY_VERSION into $TOOLS" >&2
    mkdir -p "$TOOLS"
    npm i --no-audit --no-fund --loglevel=error --prefix "$TOOLS" "@redocly/cli@$REDOCLY_VERSION" >&2
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
# The Node 20 end-of-life banner goes to stderr; keep only the findings.
"$REDOCLY" lint --config "$ROOT/openapi/redocly.yaml" --format=stylish \
    "$ROOT/openapi/openapi.yaml" >"$out" 2>&1 || status=$?
sed -e '/^ *[╔║╚]/d' "$out"
if [ "$status" -ne 0 ]; then
    echo "openapi-lint: FAILED (redocly exit $status)" >&2
    exit 1
fi
if grep -q ' warning ' "$out"; then
    echo "openapi-lint: FAILED (warnings; fix them or tune openapi/redocly.yaml)" >&2
    exit 1
fi
echo "openapi-lint: OK"
