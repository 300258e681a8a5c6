#!/bin/sh
# Validate a real gateway's answers with Stoplight Prism in front of it (optional: needs npm once).
#
#   scripts/openapi-prism-check.sh install
#       install @stoplight/prism-cli@5.14.2 into tests/.tools (git-ignored)
#   scripts/openapi-prism-check.sh proxy UPSTREAM [PORT]
#       run `prism proxy --errors` on 127.0.0.1:PORT (default 4010) in front of UPSTREAM
#       (e.g. http://127.0.0.1:8080), in the foreground. A response that does not match
#       openapi/openapi.yaml becomes a 500 whose body type ends in #VIOLATIONS and whose
#       sl-violations header names the fields. Requests are forwarded unchecked
#       (--validate-request=false), so that the gateway's own 400/422 answers are checked too.
#   scripts/openapi-prism-check.sh smoke [GATEWAY_BIN]
#       self-contained: start a throwaway PostgreSQL, a gateway (default build/gateway/jobgate-gateway)
#       and prism in front of it, walk the API through prism (client and executor flows and their
#       errors), and fail if prism reports any violation. Cleans up after itself.
#
# When npm is missing and prism is not installed, install and smoke print "skipped" and exit 0,
# unless PRISM_REQUIRED=1. Environment: JOBGATE_TOOLS_DIR (default tests/.tools), JOBGATE_OPENAPI
# (another document to check against).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${JOBGATE_TOOLS_DIR:-$ROOT/tests/.tools}
PRISM_VERSION=5.14.2 # 5.16 needs node >= 24
PRISM=$TOOLS/node_modules/.bin/prism
SPEC=${JOBGATE_OPENAPI:-$ROOT/openapi/openapi.yaml}
export NO_UPDATE_NOTIFIER=1

install_prism() {
    [ -x "$PRISM" ] && return 0
    if ! command -v npm >/dev/null 2>&1; then
        echo "openapi-prism-check: npm not found; skipped" >&2
        [ "${PRISM_REQUIRED:-0}" = 1 ] && exit 1
        exit 0
    fi
    echo "openapi-prism-check: installing @stoplight/prism-cli@$PRISM_VERSION into $TOOLS" >&2
    mkdir -p "$TOOLS"
    if ! npm i --no-audit --no-fund --loglevel=error --prefix "$TOOLS" \
        "@stoplight/prism-cli@$PRISM_VERSION" >&2; then
        echo "openapi-prism-check: npm install failed; skipped" >&2
        [ "${PRISM_REQUIRED:-0}" = 1 ] && exit 1
        exit 0
    fi
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # URL SECONDS
    n=0
    while ! /usr/bin/python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; do
        n=$((n + 1))
        [ "$n" -gt $(($2 * 10)) ] && return 1
        sleep 0.1
    done
}

smoke() {
    gw_bin=${1:-$ROOT/build/gateway/jobgate-gateway}
    [ -x "$gw_bin" ] || { echo "openapi-prism-check: no gateway binary at $gw_bin (build first)" >&2; exit 2; }
    install_prism
    work=$(mktemp -d /tmp/jobgate-prism.XXXXXX)
    chmod 755 "$work"
    gw_pid= prism_pid=
    cleanup() {
        [ -n "$prism_pid" ] && kill "$prism_pid" 2>/dev/null || true
        [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null || true
        wait 2>/dev/null || true
        "$ROOT/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
        rm -rf "$work"
    }
    trap cleanup EXIT INT TERM
    url=$("$ROOT/scripts/pg.sh" start "$work/pg" | tail -1)
    for role in client executor admin; do
        "$gw_bin" token create --role "$role" --name "prism-$role" --database "$url" | tail -1 >"$work/$role"
    done
    gw_port=$(free_port)
    prism_port=$(free_port)
    "$gw_bin" --database "$url" --listen "127.0.0.1:$gw_port" --lease-ttl-ms 5000 >"$work/gateway.log" 2>&1 &
    gw_pid=$!
    wait_http "http://127.0.0.1:$gw_port/readyz" 30 || { cat "$work/gateway.log" >&2; exit 1; }
    "$PRISM" proxy -h 127.0.0.1 -p "$prism_port" --errors --validate-request=false \
        "$SPEC" "http://127.0.0.1:$gw_port" >"$work/prism.log" 2>&1 &
    prism_pid=$!
    wait_http "http://127.0.0.1:$prism_port/healthz" 60 || { cat "$work/prism.log" >&2; exit 1; }
    echo "openapi-prism-check: gateway on :$gw_port, prism on :$prism_port" >&2
    PRISM_PORT=$prism_port WORK=$work /usr/bin/python3 "$ROOT/scripts/openapi-prism-smoke.py"
}

cmd=${1:-}
case "$cmd" in
install)
    install_prism
    echo "prism: $PRISM"
    ;;
proxy)
    [ $# -ge 2 ] || { echo "usage: $0 proxy UPSTREAM [PORT]" >&2; exit 2; }
    install_prism
    exec "$PRISM" proxy -h 127.0.0.1 -p "${3:-4010}" --errors --validate-request=false "$SPEC" "$2"
    ;;
smoke)
    shift
    smoke "$@"
    ;;
*)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
