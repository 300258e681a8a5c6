#!/bin/sh
# Lease dispatch with many parked executors (bench/gateway/dispatch.py): N long-polls, jobs
# submitted in batches of B, jobs dispatched per second and claim statements per round. Runs each
# build given REPS times, alternating, against one PostgreSQL (pg_stat_statements loaded), each
# run on a fresh database; prints every run and the medians.
#   bench/gateway/dispatch.sh [BUILD_DIR...]       (default: build; N=64 B=64 ROUNDS=30 REPS=3)
#   FILL=1000000 bench/gateway/dispatch.sh ...      the same with a million finished jobs
#   git worktree add /tmp/wt-before HEAD~1 && (cd /tmp/wt-before && scripts/build.sh build)
#   bench/gateway/dispatch.sh /tmp/wt-before/build build     before vs after
set -eu
cd "$(dirname "$0")/../.."
N=${N:-64}; B=${B:-64}; ROUNDS=${ROUNDS:-30}; REPS=${REPS:-3}; FILL=${FILL:-0}
[ $# -gt 0 ] || set -- build
work=$(mktemp -d /tmp/jobgate-dispatch.XXXXXX)
chmod 755 $work
gwpid=
trap '[ -n "$gwpid" ] && kill $gwpid 2>/dev/null; wait 2>/dev/null; ./scripts/pg.sh stop $work/pg; rm -rf $work' EXIT INT TERM

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
./scripts/pg.sh start $work/pg >/dev/null
echo "shared_preload_libraries = 'pg_stat_statements'" >>$work/pg/data/postgresql.conf
./scripts/pg.sh restart $work/pg
base=$(sed 's,/[^/]*$,,' $work/pg/url)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

: >$work/results
for r in $(seq $REPS); do
    i=0
    for build in "$@"; do
        i=$((i + 1))
        gw=$build/gateway/jobgate-gateway
        db=$base/disp_${r}_$i
        $pgbin/psql -q "$base/postgres" -c "CREATE DATABASE disp_${r}_$i"
        $pgbin/psql -q "$db" -c "CREATE EXTENSION pg_stat_statements"
        $gw migrate --database "$db" 2>/dev/null
        [ "$FILL" -gt 0 ] && $pgbin/psql -q "$db" -c \
          "INSERT INTO jobs (tenant, token_id, runtime, kind, priority, max_attempts, spec, limits, status, verdict, attempts, finished_at, result)
           SELECT 'filler', 0, 'python3', 'call', 0, 1, '{\"kind\":\"call\"}', '{}', 'completed', 'OK', 1, now(), '{}'
           FROM generate_series(1, $FILL)" -c "VACUUM ANALYZE jobs"
        ctok=$($gw token create --role client --name bench --database "$db" 2>/dev/null | tail -1)
        etok=$($gw token create --role executor --name bench --database "$db" 2>/dev/null | tail -1)
        $gw --database "$db" --listen 127.0.0.1:$port --log-level warn --max-queued 100000000 \
            ${GW_ARGS:-} 2>$work/gw.log &
        gwpid=$!
        for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.1; done
        line=$(/usr/bin/python3 bench/gateway/dispatch.py http://127.0.0.1:$port "$ctok" "$etok" "$db" $N $B $ROUNDS)
        kill $gwpid; wait $gwpid || true; gwpid=
        echo "run $r $build: $line" >&2
        echo "$i $line" >>$work/results
    done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { tr ' ' '\n' | sed -n "s,^$1=,,p"; }
echo
i=0
for build in "$@"; do
    i=$((i + 1))
    m=$(awk -v i=$i '$1 == i' $work/results | field median | median)
    c=$(awk -v i=$i '$1 == i' $work/results | field dispatch | median)
    t=$(awk -v i=$i '$1 == i' $work/results | field total | median)
    printf '%-40s jobs/s %7s   claims/round: dispatch %6s total %6s   (medians of %s runs)\n' \
        "$build" "$m" "$c" "$t" "$REPS"
done
