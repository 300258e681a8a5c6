#!/bin/sh
# A throwaway local PostgreSQL cluster: initdb in a directory, a free port on 127.0.0.1.
#   scripts/pg.sh start DIR   -> starts it, prints the connection URL (also saved in DIR/url)
#   scripts/pg.sh stop DIR    -> stops it (the directory stays; rm -rf it to forget the data)
#   scripts/pg.sh restart DIR -> restarts it on the same port
set -eu

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg.sh start|stop|restart DIR" >&2; exit 2; }

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        port=$(free_port)
        cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
CONF
        echo "$port" >"$dir/port"
    fi
    port=$(cat "$dir/port")
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { tail -20 "$dir/server.log" >&2; exit 1; }
    as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_database WHERE datname = 'jobgate'" | grep -q 1 \
        || as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres jobgate
    url="postgresql://postgres@127.0.0.1:$port/jobgate"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
stop)
    [ -f "$dir/data/PG_VERSION" ] || exit 0
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
restart)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >/dev/null
    ;;
*)
    echo "usage: pg.sh start|stop|restart DIR" >&2
    exit 2
    ;;
esac
