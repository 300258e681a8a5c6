#!/bin/sh
# POST /jobs requests/s and GET /jobs/<id> p50/p99 at C connections (wrk), beside pgbench's
# single-row durable insert rate at the same concurrency on the same PostgreSQL, in one run.
# Alternates the two REPS times and prints medians and the ratio.
#   bench/gateway/run.sh             (C=64 REPS=3 SECS=10 by default)
#   FILL=1000000 bench/gateway/run.sh   the same with a million finished jobs in the table
#   POST=0 bench/gateway/run.sh         GET only
#   POLL_MS=50 bench/gateway/run.sh     GET connections are pollers asking every 50 ms (default: flat out)
set -eu
cd "$(dirname "$0")/../.."
C=${C:-64}
REPS=${REPS:-3}
SECS=${SECS:-10}
FILL=${FILL:-0}
POST=${POST:-1}
THREADS=${THREADS:-2}
work=$(mktemp -d /tmp/jobgate-bench.XXXXXX)
chmod 755 $work
gwpid=
trap '[ -n "$gwpid" ] && kill $gwpid 2>/dev/null; wait 2>/dev/null; ./scripts/pg.sh stop $work/pg; rm -rf $work' EXIT INT TERM

BUILD=${BUILD:-build}
[ -x $BUILD/gateway/jobgate-gateway ] || ./scripts/build.sh $BUILD >/dev/null
command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps.sh" >&2; exit 1; }
db=$(./scripts/pg.sh start $work/pg)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
gw=$BUILD/gateway/jobgate-gateway
$gw migrate --database "$db" 2>/dev/null
token=$($gw token create --role client --name bench --database "$db" 2>/dev/null | tail -1)
$gw --database "$db" --listen 127.0.0.1:$port --log-level warn --max-queued 100000000 ${GW_ARGS:-} 2>$work/gw.log &
gwpid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.1; done

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgport=$(cat $work/pg/port)
runuser -u postgres -- $pgbin/psql -q -h 127.0.0.1 -p $pgport -U postgres jobgate -c \
  "CREATE TABLE bench_jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, public_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE, tenant text, runtime text, kind text, spec text, created_at timestamptz DEFAULT now())"

if [ "$FILL" -gt 0 ]; then
    echo "filling the job table with $FILL finished jobs" >&2
    runuser -u postgres -- $pgbin/psql -q -h 127.0.0.1 -p $pgport -U postgres jobgate -c \
      "INSERT INTO jobs (tenant, token_id, runtime, kind, priority, max_attempts, spec, limits, status, verdict, attempts, finished_at, result)
       SELECT 'filler-' || (g % 100), 0, 'python3', 'call', 0, 1, '{\"kind\":\"call\"}', '{}', 'completed', 'OK', 1, now(), '{\"value\":1}'
       FROM generate_series(1, $FILL) g" -c "VACUUM ANALYZE jobs"
fi

export JOBGATE_TOKEN=$token
job=$(curl -sf http://127.0.0.1:$port/jobs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"runtime":"python3","kind":"call","code":"AA=="}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
export JOBGATE_JOB=$job

# wrk prints "Requests/sec: N" and, with --latency, "50% 1.23ms" ... "99% 4.56ms".
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.3f", v}'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

: >$work/post; : >$work/pgtps; : >$work/get50; : >$work/get99
for r in $(seq $REPS); do
    if [ "$POST" = 1 ]; then
    wrk -t$THREADS -c$C -d${SECS}s -s bench/gateway/post_job.lua http://127.0.0.1:$port/jobs >$work/out
    awk '/Requests\/sec/ {print $2}' $work/out >>$work/post
    grep -q 'Non-2xx' $work/out && { echo "POST /jobs returned errors:" >&2; cat $work/out >&2; }
    runuser -u postgres -- $pgbin/pgbench -n -M prepared -T $SECS -c $C -j $THREADS -h 127.0.0.1 -p $pgport -U postgres \
        -f bench/gateway/pgbench_insert.sql jobgate 2>/dev/null | awk '/^tps/ {print $3}' >>$work/pgtps
    else
        echo 0 >>$work/post; echo 1 >>$work/pgtps
    fi
    wrk -t$THREADS -c$C -d${SECS}s --latency -s bench/gateway/get_job.lua http://127.0.0.1:$port >$work/out
    grep -q "Non-2xx" $work/out && { echo "GET /jobs/<id> returned errors:" >&2; cat $work/out >&2; }
    awk '$1=="50%" {print $2}' $work/out | to_ms >>$work/get50; echo >>$work/get50
    awk '$1=="99%" {print $2}' $work/out | to_ms >>$work/get99; echo >>$work/get99
    echo "run $r: POST $(tail -1 $work/post)/s  pgbench $(tail -1 $work/pgtps)/s  GET p50 $(tail -1 $work/get50) ms p99 $(tail -1 $work/get99) ms" >&2
done
post=$(median <$work/post); pg=$(median <$work/pgtps)
g50=$(grep . $work/get50 | median); g99=$(grep . $work/get99 | median)
printf '\n%-44s %12s %12s %8s\n' "what (C=$C, ${SECS}s x $REPS, medians)" "jobgate" "peer" "ratio"
printf '%-44s %12.0f %12.0f %8.2f\n' "POST /jobs req/s vs pgbench insert tps" "$post" "$pg" "$(echo "$post $pg" | awk '{print $1/$2}')"
printf '%-44s %12s %12s %8s\n' "GET /jobs/<id> p50 ms" "$g50" "-" "-"
printf '%-44s %12s %12s %8s\n' "GET /jobs/<id> p99 ms" "$g99" "-" "-"
