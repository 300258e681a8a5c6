#!/bin/sh
# Install the Debian packages jobgate needs to build, run and test.
# Idempotent: packages already present are skipped, so CI and users can run it every time.
set -eu

PKGS="build-essential cmake pkg-config git curl ca-certificates
libmicrohttpd-dev libjansson-dev libpq-dev libcurl4-openssl-dev libseccomp-dev
check libsubunit-dev
postgresql-15 postgresql-client-15
clang llvm libclang-rt-14-dev
python3 python3-cloudpickle python3-pytest python3-jsonschema python3-yaml python3-venv python3-pip
libpython3.11-testsuite
wrk"

# node/npm: only used to lint and contract-check the OpenAPI spec; take Debian's when none is installed.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing$missing"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
