#!/bin/sh
# Entrypoint of the postgres image: on the first start, initialise $PGDATA with a "jobgate" role and
# database whose password is read from $POSTGRES_PASSWORD_FILE (no default password); then run the
# server on all interfaces (POSTGRES_LISTEN, default *) and port $PGPORT (default 5432).
set -eu
: "${POSTGRES_PASSWORD_FILE:?the jobgate role password file is required}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password=$(sed "s/'/''/g" "$POSTGRES_PASSWORD_FILE")
    initdb --username=postgres --auth-local=peer --auth-host=reject --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    # Over TCP only the jobgate role, owner of its database, with its password; the superuser keeps a
    # local peer login.
    printf '%s\n' "local all postgres peer" "host jobgate jobgate all scram-sha-256" >"$PGDATA/pg_hba.conf"
    postgres --single -D "$PGDATA" -c listen_addresses='' postgres >/dev/null <<SQL
CREATE ROLE jobgate LOGIN PASSWORD '$password';
CREATE DATABASE jobgate OWNER jobgate;
SQL
fi
exec postgres -c listen_addresses="${POSTGRES_LISTEN:-*}" "$@"
