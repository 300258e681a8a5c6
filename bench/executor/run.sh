#!/bin/sh
# A trivial `call` job's end-to-end cost through a real stack (PostgreSQL, the gateway, one executor with
# SLOTS sandbox slots), in one run: the round trip of N sequential jobs (submit, ?wait=, result: p50, p10,
# p90, and the sandboxed run's own wall time) and the throughput of M jobs submitted at once (batch
# submit, POST /jobs/wait to gather). Every job is cloudpickled, run in the sandbox, committed to
# PostgreSQL, and its result unpickled and checked by the client. Printed as a table.
#
#   sudo bench/executor/run.sh [BUILD_DIR]      N=200 M=1000 SLOTS=<CPUs> REPS=3 (medians of REPS)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
N=${N:-200}
M=${M:-1000}
REPS=${REPS:-3}
SLOTS=${SLOTS:-$(nproc)}
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "the sandbox needs root" >&2; exit 1; }
[ -x "$BUILD/executor/jobgate-executor" ] || { echo "no $BUILD/executor/jobgate-executor: scripts/build.sh $BUILD" >&2; exit 1; }
work=$(mktemp -d /tmp/jobgate-bench-executor.XXXXXX)
chmod 755 "$work"
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; ./scripts/pg.sh stop "$work/pg" >/dev/null; rm -rf "$work"' EXIT INT TERM

db=$(./scripts/pg.sh start "$work/pg")
gw=$BUILD/gateway/jobgate-gateway
$gw migrate --database "$db" 2>/dev/null
client=$($gw token create --role client --name bench --database "$db" 2>/dev/null | tail -1)
executor=$($gw token create --role executor --name bench --database "$db" 2>/dev/null | tail -1)
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
$gw --database "$db" --listen 127.0.0.1:$port --log-level warn --max-queued 10000000 2>"$work/gw.log" &
pids="$pids $!"
for _ in $(seq 100); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.1; done
# Box uids of their own, so that other executors on this host do not collide with the bench's.
$BUILD/executor/jobgate-executor --gateway "$url" --token "$executor" --slots "$SLOTS" --log-level warn \
    --first-uid "$((400000 + $$ % 1000 * 100))" --lease-wait 20 2>"$work/ex.log" &
pids="$pids $!"

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
field() { $PY -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
: >"$work/p50"; : >"$work/p10"; : >"$work/p90"; : >"$work/run"; : >"$work/tput"
for r in $(seq "$REPS"); do
    rt=$($PY bench/executor/driver.py "$url" "$client" roundtrip "$N")
    tp=$($PY bench/executor/driver.py "$url" "$client" throughput "$M")
    echo "$rt" | field p50_ms >>"$work/p50"
    echo "$rt" | field p10_ms >>"$work/p10"
    echo "$rt" | field p90_ms >>"$work/p90"
    echo "$rt" | field run_wall_p50_ms >>"$work/run"
    echo "$tp" | field jobs_per_s >>"$work/tput"
    printf "run %s: round trip p50 %.2f ms, %.1f jobs/s\n" "$r" "$(tail -1 "$work/p50")" "$(tail -1 "$work/tput")" >&2
done
echo "host: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); executor slots: $SLOTS; medians of $REPS runs"
printf '%-62s %10s\n' "trivial call job (cloudpickled inc(i), sandboxed, durable)" "value"
printf '%-62s %10.2f\n' "round trip p50 ms (POST /jobs, GET ?wait=, N=$N sequential)" "$(median <"$work/p50")"
printf '%-62s %10.2f\n' "round trip p10 ms" "$(median <"$work/p10")"
printf '%-62s %10.2f\n' "round trip p90 ms" "$(median <"$work/p90")"
printf '%-62s %10.2f\n' "  of which the sandboxed run, wall p50 ms (usage.wall_ms)" "$(median <"$work/run")"
printf '%-62s %10.1f\n' "throughput jobs/s ($M submitted at once, gathered)" "$(median <"$work/tput")"
