/* Schema migrations: the numbered files of db/migrations, embedded in the binary at build time. */
#ifndef GW_MIGRATIONS_H
#define GW_MIGRATIONS_H

#include "db.h"

struct db_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct db_migration db_migrations[];
extern const int db_migrations_count;

/**
 * Apply every migration the database lacks, each in its own transaction and exactly once, under a
 * session advisory lock so that gateways starting together take turns. Refuses (-EPROTO) a database
 * whose schema is newer than this binary knows. Returns 0, -EPROTO or -EIO (message logged).
 */
int db_migrate(struct db_conn *c);

/* The schema version recorded in the database (0 when none); -1 when it cannot be read. */
int db_schema_version(struct db_conn *c);

#endif
