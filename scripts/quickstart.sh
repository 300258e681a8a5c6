#!/bin/sh
# Set up and run jobgate on this machine: install packages, build, start a local PostgreSQL,
# the gateway and an executor, then submit a demo call job and print its result. State and logs
# live in .run/.
#   scripts/quickstart.sh          start (or restart) everything
#   scripts/quickstart.sh stop     stop everything
# JOBGATE_PORT (8080), JOBGATE_BUILD_DIR (build) and JOBGATE_RUN_DIR (.run) move things elsewhere.
set -eu
cd "$(dirname "$0")/.."
run=${JOBGATE_RUN_DIR:-$(pwd)/.run}
build=${JOBGATE_BUILD_DIR:-build}
port=${JOBGATE_PORT:-8080}
url="http://127.0.0.1:$port"

stop_all() {
    for p in executor gateway; do
        if [ -f "$run/$p.pid" ]; then
            kill "$(cat "$run/$p.pid")" 2>/dev/null || true
            rm -f "$run/$p.pid"
        fi
    done
    ./scripts/pg.sh stop "$run/pg"
}

if [ "${1:-}" = stop ]; then
    stop_all
    echo "jobgate stopped"
    exit 0
fi

./scripts/install-deps.sh
./scripts/build.sh "$build"
mkdir -p "$run"
stop_all 2>/dev/null || true
db=$(./scripts/pg.sh start "$run/pg")
gw=./$build/gateway/jobgate-gateway
$gw migrate --database "$db" 2>>"$run/gateway.log"

client=$($gw token create --role client --name "demo-$(date +%s)" --database "$db" 2>>"$run/gateway.log" | tail -1)
executor=$($gw token create --role executor --name "executor-$(date +%s)" --database "$db" 2>>"$run/gateway.log" | tail -1)

nohup $gw --database "$db" --listen "127.0.0.1:$port" >>"$run/gateway.log" 2>&1 &
echo $! >"$run/gateway.pid"
for _ in $(seq 50); do
    curl -sf "$url/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "$url/readyz" >/dev/null || { tail -20 "$run/gateway.log" >&2; exit 1; }

if [ -x "./$build/executor/jobgate-executor" ]; then
    nohup "./$build/executor/jobgate-executor" --gateway "$url" --token "$executor" >>"$run/executor.log" 2>&1 &
    echo $! >"$run/executor.pid"
    have_executor=1
else
    have_executor=0
fi

echo "demo job: a Python call, cloudpickled here and run in the sandbox: (lambda n: sum of squares below n)(10)"
code=$(/usr/bin/python3 -c 'import base64, cloudpickle
print(base64.b64encode(cloudpickle.dumps((lambda n: sum(i * i for i in range(n)), (10,), {}))).decode())')
job=$(curl -sf -X POST "$url/jobs" -H "Authorization: Bearer $client" -H 'Content-Type: application/json' \
    -d "{\"runtime\":\"python3\",\"kind\":\"call\",\"code\":\"$code\"}")
id=$(echo "$job" | sed 's/.*"id":"\([^"]*\)".*/\1/')
echo "  submitted: job $id"
if [ "$have_executor" = 1 ]; then
    # The result is a pickle: this client made the call, so it unpickles its own answer.
    curl -sf "$url/jobs/$id?wait=30" -H "Authorization: Bearer $client" | /usr/bin/python3 -c '
import base64, json, pickle, sys
job = json.load(sys.stdin)
if job.get("verdict") == "OK":
    print("  result:    %r (status %s, verdict OK, %d ms CPU)"
          % (pickle.loads(base64.b64decode(job["result"])), job["status"], job["usage"]["cpu_ms"]))
else:
    print("  not done:  status %s, verdict %s, error %s" % (job["status"], job.get("verdict"), job.get("error")))
    sys.exit(1)
' || { echo "  (see $run/executor.log)"; tail -5 "$run/executor.log" >&2; }
else
    echo "  (no executor built yet: the job stays queued)"
fi

cat <<MSG

jobgate is running.
  URL:           $url
  client token:  $client
  logs:          $run/gateway.log, $run/executor.log
  stop:          scripts/quickstart.sh stop
MSG
