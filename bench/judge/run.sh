#!/bin/sh
# A 100-test A+B problem in C judged end to end — PostgreSQL, the gateway, one executor slot, every
# test in a fresh sandbox, checked, recorded — beside the same binary run bare on the same 100 tests
# (fork, exec, pipe, wait, compare: bench/judge/bare.c), in one run, medians of REPS alternating
# repetitions. The judged job names a stored problem (uploaded once, its tests cached by the
# executor), as a contest's submissions do; its time includes the compilation (gcc -O2), which the
# 1-test job measures: "per test, marginal" is (100-test job - 1-test job) / 99.
#
#   sudo bench/judge/run.sh [BUILD_DIR]      (or BUILD=...) N=100 REPS=5
# The last line is "RATIO <judged ms> <bare ms> <judged/bare>" for bench/run.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-${BUILD:-build}}
N=${N:-100}
REPS=${REPS:-5}
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "the sandbox needs root" >&2; exit 1; }
[ -x "$BUILD/executor/jobgate-executor" ] || { echo "no $BUILD/executor/jobgate-executor: scripts/build.sh $BUILD" >&2; exit 1; }
work=$(mktemp -d /tmp/jobgate-bench-judge.XXXXXX)
chmod 755 "$work"
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; ./scripts/pg.sh stop "$work/pg" >/dev/null; rm -rf "$work"' EXIT INT TERM

# The problem: N tests of A+B, 64-bit.
mkdir -p "$work/tests"
$PY - "$work/tests" "$N" <<'PYEOF'
import random, sys
d, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
for i in range(1, n + 1):
    a, b = rnd.randrange(-10**12, 10**12), rnd.randrange(-10**12, 10**12)
    open("%s/%d.in" % (d, i), "w").write("%d %d\n" % (a, b))
    open("%s/%d.out" % (d, i), "w").write("%d\n" % (a + b))
PYEOF
src=tests/problems/aplusb/solutions/OK_long.c
gcc -std=c11 -O2 -o "$work/main" "$src" -lm
gcc -std=c11 -O2 -o "$work/bare-runner" bench/judge/bare.c

db=$(./scripts/pg.sh start "$work/pg")
gw=$BUILD/gateway/jobgate-gateway
$gw migrate --database "$db" 2>/dev/null
client=$($gw token create --role client --name bench --database "$db" 2>/dev/null | tail -1)
admin=$($gw token create --role admin --name bench-admin --database "$db" 2>/dev/null | tail -1)
executor=$($gw token create --role executor --name bench --database "$db" 2>/dev/null | tail -1)
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
$gw --database "$db" --listen 127.0.0.1:$port --log-level warn 2>"$work/gw.log" &
pids="$pids $!"
for _ in $(seq 100); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.1; done
$BUILD/executor/jobgate-executor --gateway "$url" --token "$executor" --slots 1 --log-level warn \
    --first-uid "$((500000 + $$ % 1000 * 100))" --cache-dir "$work/cache" --lease-wait 20 \
    2>"$work/ex.log" &
pids="$pids $!"

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
field() { $PY -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
for f in judged one marginal sbx bare; do : >"$work/$f"; done
for r in $(seq "$REPS"); do
    j=$($PY bench/judge/driver.py "$url" "$client" "$admin" "$work/tests" "$src" "$N") || { echo "$j"; tail "$work/ex.log" "$work/gw.log"; exit 1; }
    b=$("$work/bare-runner" "$work/main" "$work/tests" "$N")
    echo "$j" | field judged_ms >>"$work/judged"
    echo "$j" | field one_test_ms >>"$work/one"
    echo "$j" | field per_test_marginal_ms >>"$work/marginal"
    echo "$j" | field sandbox_wall_sum_ms >>"$work/sbx"
    echo "$b" | field total_ms >>"$work/bare"
    printf "run %s: judged %.1f ms, bare %.1f ms\n" "$r" "$(tail -1 "$work/judged")" "$(tail -1 "$work/bare")" >&2
done
judged=$(median <"$work/judged")
bare=$(median <"$work/bare")
echo "host: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); 1 executor slot; medians of $REPS runs"
printf '%-66s %10s\n' "$N-test A+B in C (c11, gcc -O2), stored problem" "ms"
printf '%-66s %10.1f\n' "judged end to end (POST /jobs -> result recorded, with compile)" "$judged"
printf '%-66s %10.1f\n' "  the same job with 1 test (compile + 1 run + overhead)" "$(median <"$work/one")"
printf '%-66s %10.2f\n' "  per test, marginal ((N-test - 1-test) / (N-1))" "$(median <"$work/marginal")"
printf '%-66s %10.2f\n' "  per test, sandboxed wall (sum of usage.wall_ms / N)" "$(echo "$(median <"$work/sbx") / $N" | bc -l)"
printf '%-66s %10.1f\n' "same binary bare x$N (fork+exec+pipe+wait+compare)" "$bare"
printf '%-66s %10.3f\n' "  per test" "$(echo "$bare / $N" | bc -l)"
printf 'RATIO %.1f %.1f %.2f\n' "$judged" "$bare" "$(echo "$judged / $bare" | bc -l)"
