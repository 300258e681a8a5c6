#!/bin/sh
# Create the swarm secrets docker/stack.yaml uses, each only if it does not exist yet (no default secrets):
#   jobgate_db_password     the PostgreSQL password of the jobgate role
#   jobgate_pgpass          the same as a libpq password file, for the gateway and the init service
#   jobgate_executor_token  the executors' token (jge_...), registered by the init service
#   jobgate_client_token    a first client token (jgc_...), printed once here
# Run it on a manager node: docker/swarm-secrets.sh
set -eu

random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
exists() { docker secret inspect "$1" >/dev/null 2>&1; }
create() { docker secret create --label org.jobgate.stack=1 "$1" - >/dev/null && echo "created secret $1" >&2; }

if ! exists jobgate_db_password; then
    exists jobgate_pgpass && { echo "jobgate_pgpass exists without jobgate_db_password: remove it first" >&2; exit 1; }
    password=$(random_hex)
    printf '%s' "$password" | create jobgate_db_password
    printf '*:*:*:jobgate:%s\n' "$password" | create jobgate_pgpass
fi
exists jobgate_executor_token || printf 'jge_%s' "$(random_hex)" | create jobgate_executor_token
if ! exists jobgate_client_token; then
    client="jgc_$(random_hex)"
    printf '%s' "$client" | create jobgate_client_token
    echo "client token (shown once; swarm secrets cannot be read back): $client"
fi
