#!/bin/sh
# Per-run cost of the sandbox beside the same program run bare, measured in one process with the runs
# interleaved (jobgate-sandbox-run --bench: N sandboxed runs of the program in one reused box, each followed
# by a bare fork+exec+wait of the same program; 5 warm-ups; medians and p10 of wall time per run).
#
#   sudo bench/sandbox/run.sh [BUILD_DIR]        N=1000 for more runs, FIRST_UID=u for the box's uid
#
# isolate is not packaged by Debian and cannot be fetched offline, so it is not run here; sandbox.md §3.1
# measured `isolate --run -- /bin/true` at 3-4 ms wall on this machine.
#
# Last, a trivial call job's sandboxed run as the executor makes it (the call harness with a cloudpickled
# call, outcome.json read back) through the box's Python zygote, interleaved with the same run with a fresh
# interpreter (jobgate-sandbox-run --zygote --bench): wall per run, and CPU per run of the zygote's runs.
set -eu
BUILD=${1:-build}
N=${N:-500}
# A box uid of its own: executors on this host hold the default band from 60000.
FIRST_UID=${FIRST_UID:-$((300000 + $$ % 1000 * 10))}
CLI=$BUILD/executor/sandbox/jobgate-sandbox-run
PY=/usr/bin/python3
if [ ! -x "$CLI" ]; then
    echo "no $CLI: cmake --build $BUILD --target jobgate-sandbox-run" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "the sandbox needs root" >&2
    exit 1
fi

row() {
    runs=$1
    shift
    "$CLI" --first-uid "$FIRST_UID" --bench "$runs" -- "$@" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
s, b = d["sandboxed"], d["bare_fork_exec"]
name = " ".join(sys.argv[1:])
print("%-34s %6d %9.2f %9.2f %9.2f %9.2f %8.2f %6d" % (name, d["runs"], s["median_us"] / 1000, s["p10_us"] / 1000,
      b["median_us"] / 1000, b["p10_us"] / 1000, (s["median_us"] - b["median_us"]) / 1000,
      d["sandbox_failures"]))
' "$@"
}

echo "host: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %6s %9s %9s %9s %9s %8s %6s\n' program runs sbx_ms sbx_p10 bare_ms bare_p10 extra_ms failed
row "$N" /bin/true
row "$((N / 5))" "$PY" -I -S -c pass
row "$((N / 5))" "$PY" -c pass

# The call harness through the zygote against a fresh interpreter.
work=$(mktemp -d /tmp/jobgate-bench-sandbox.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
cp "$(dirname "$0")/../../executor/runtimes/call_harness.py" "$work/harness.py"
"$PY" -c 'import cloudpickle, sys; open(sys.argv[1], "wb").write(cloudpickle.dumps((sum, ([1, 2, 3],), {})))' \
    "$work/payload.pkl"
zy() {
    "$CLI" --first-uid "$FIRST_UID" --zygote 3 --preload /box/harness.py="$work/harness.py" \
        --in harness.py="$work/harness.py" --in payload.pkl="$work/payload.pkl" --collect outcome.json "$@" \
        -- "$PY" -I -B harness.py
}
zy --bench "$((N / 5))" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
z, s = d["zygote"], d["sandboxed"]
print()
print("%-34s %6s %9s %9s %9s %9s %8s %6s" % ("python3 call harness", "runs", "zyg_ms", "zyg_p10", "fresh_ms",
      "fresh_p10", "ratio", "failed"))
print("%-34s %6d %9.2f %9.2f %9.2f %9.2f %8.1f %6d" % ("sum([1, 2, 3]), cloudpickled", d["runs"], z["median_us"] / 1000,
      z["p10_us"] / 1000, s["median_us"] / 1000, s["p10_us"] / 1000, s["median_us"] / z["median_us"],
      d["sandbox_failures"]))
'
