#!/bin/sh
# One-shot set-up of the compose cluster, run as root in the gateway image. Nothing has a default
# secret: each is generated on the first start and kept in a volume, so later starts reuse them.
#
#   compose-init.sh secrets   before PostgreSQL: the database password (for the postgres image) and a
#                             libpq password file for the gateway (uid 10001)
#   compose-init.sh tokens    after PostgreSQL: apply migrations, then create the executor token (into the
#                             executors' own volume) and a client and an admin token
#   compose-init.sh show NAME print a token: client, admin or executor
#   compose-init.sh import    docker stack: apply migrations (waiting for PostgreSQL), then register the
#                             tokens made by docker/swarm-secrets.sh (/run/secrets/jobgate_*_token)
set -eu

secrets=${JOBGATE_SECRETS_DIR:-/run/jobgate}
executor_dir=${JOBGATE_EXECUTOR_SECRETS_DIR:-/run/jobgate-executor}

say() { echo "compose-init: $*" >&2; }

random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# write_secret FILE OWNER MODE: the content comes from stdin; written beside the target, then renamed,
# so a crash never leaves a half-written secret.
write_secret() {
    tmp="$1.tmp"
    (umask 077 && cat >"$tmp")
    chown "$2" "$tmp"
    chmod "$3" "$tmp"
    mv "$tmp" "$1"
}

# token ROLE NAME FILE: create a token unless FILE already holds one. The secret is the last line of
# `token create`'s output.
token() {
    [ -s "$3" ] && return 0
    out=$(jobgate-gateway token create --role "$1" --name "$2") || { say "token create --role $1 failed"; exit 1; }
    printf '%s\n' "$out" | tail -n 1 | write_secret "$3" 0:0 0400
    say "created the $1 token '$2' ($3)"
}

case "${1:-}" in
secrets)
    if [ ! -s "$secrets/db-password" ]; then
        random_hex | write_secret "$secrets/db-password" 999:999 0400
        say "generated the database password"
    fi
    # host:port:database:user:password for whatever host the URL names; owned by the gateway's uid.
    printf '*:*:*:jobgate:%s\n' "$(cat "$secrets/db-password")" | write_secret "$secrets/pgpass" 10001:10001 0600
    ;;
tokens)
    jobgate-gateway migrate
    token executor compose-executors "$executor_dir/executor-token"
    token client compose-client "$secrets/client-token"
    token admin compose-admin "$secrets/admin-token"
    ;;
import)
    until jobgate-gateway migrate; do sleep 3; done
    for role in executor client admin; do
        file=/run/secrets/jobgate_${role}_token
        [ -r "$file" ] || continue
        JOBGATE_SECRET=$(cat "$file") jobgate-gateway token create --role "$role" --name "stack-$role" \
            --secret-env JOBGATE_SECRET
    done
    ;;
show)
    case "${2:-}" in
    client | admin) cat "$secrets/$2-token" ;;
    executor) cat "$executor_dir/executor-token" ;;
    *) say "usage: $0 show client|admin|executor"; exit 2 ;;
    esac
    ;;
*)
    say "usage: $0 secrets|tokens|import|show NAME"
    exit 2
    ;;
esac
