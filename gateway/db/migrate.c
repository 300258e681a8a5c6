#include "migrations.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sha256.h"

/* Arbitrary constant shared by every jobgate gateway: "jobgate" in ASCII. */
#define MIGRATION_LOCK "6a6f6267617465"

int db_schema_version(struct db_conn *c)
{
    PGresult *r = db_exec_sql(c, "SELECT coalesce(max(version), 0) FROM jobgate_schema");
    if (!r)
        return -1;
    int v = (int)db_ll(r, 0, 0);
    PQclear(r);
    return v;
}

static int apply(struct db_conn *c, const struct db_migration *m)
{
    char sum[2 * JG_SHA256_LEN + 1];
    jg_sha256_hex(m->sql, strlen(m->sql), sum);
    if (db_command(c, "BEGIN"))
        return -EIO;
    if (db_command(c, m->sql)) {
        JG_ERROR("migrate", "%s: %s", m->name, c->errmsg);
        goto fail;
    }
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *vals[] = {version, m->name, sum};
    PGresult *r = PQexecParams(c->pg,
                               "INSERT INTO jobgate_schema (version, name, checksum) "
                               "VALUES ($1::int, $2, $3)",
                               3, NULL, vals, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        JG_ERROR("migrate", "recording %s: %s", m->name, PQresultErrorMessage(r));
    PQclear(r);
    if (!ok || db_command(c, "COMMIT"))
        goto fail;
    JG_INFO("migrate", "applied %s", m->name);
    return 0;
fail:
    db_command(c, "ROLLBACK");
    return -EIO;
}

int db_migrate(struct db_conn *c)
{
    int result = -EIO;
    if (!db_ensure(c)) {
        JG_ERROR("migrate", "cannot connect: %s", c->errmsg);
        return -EIO;
    }
    if (db_command(c, "SELECT pg_advisory_lock(x'" MIGRATION_LOCK "'::bigint)")) {
        JG_ERROR("migrate", "advisory lock: %s", c->errmsg);
        return -EIO;
    }
    if (db_command(c, "CREATE TABLE IF NOT EXISTS jobgate_schema ("
                      " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                      " applied_at timestamptz NOT NULL DEFAULT now())")) {
        JG_ERROR("migrate", "schema table: %s", c->errmsg);
        goto out;
    }
    int current = db_schema_version(c);
    if (current < 0) {
        JG_ERROR("migrate", "reading the schema version: %s", c->errmsg);
        goto out;
    }
    if (current > db_migrations_count) {
        JG_ERROR("migrate",
                 "the database schema is version %d but this gateway knows only up to %d: "
                 "refusing to run against a newer schema (upgrade the gateway)",
                 current, db_migrations_count);
        result = -EPROTO;
        goto out;
    }
    for (int i = current; i < db_migrations_count; i++)
        if (apply(c, &db_migrations[i]))
            goto out;
    if (current == db_migrations_count)
        JG_INFO("migrate", "schema is current (version %d)", current);
    result = 0;
out:
    db_command(c, "SELECT pg_advisory_unlock(x'" MIGRATION_LOCK "'::bigint)");
    return result;
}
