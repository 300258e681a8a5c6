#!/bin/sh
# Start Redis and a Celery worker (prefork x2), run the driver, stop them.
#   bench/celery/run.sh throughput 2000      -> tasks/s
#   bench/celery/run.sh roundtrip 200        -> p50 ms
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d /tmp/jobgate-celery.XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    >"$work/redis.log" 2>&1 &
redis=$!
export CELERY_BROKER="redis://127.0.0.1:$port/0"
/usr/bin/python3 -m celery -A tasks worker --pool=prefork --concurrency=2 --loglevel=warning \
    >"$work/worker.log" 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null; kill $redis 2>/dev/null; wait $redis 2>/dev/null; rm -rf "$work"' EXIT INT TERM
# The worker is ready when a task comes back.
/usr/bin/python3 -c 'from tasks import inc; inc.delay(1).get(timeout=60)'
/usr/bin/python3 driver.py "$@"
