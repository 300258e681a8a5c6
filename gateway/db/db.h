/* PostgreSQL access: connections, named prepared statements, error classes. */
#ifndef GW_DB_H
#define GW_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "statements.h"

/* How a failed statement should be answered. */
enum db_error {
    DB_OK = 0,
    DB_UNAVAILABLE, /* no connection: answer 503 and let the client retry */
    DB_CONFLICT,    /* unique violation: usually a 409 */
    DB_RETRY,       /* serialization failure or deadlock: run the transaction again */
    DB_FAILED,      /* anything else: a bug or a broken database */
};

struct db_conn {
    PGconn *pg;
    char *url;                          /* owned */
    const char *role;                   /* application_name suffix, borrowed static string */
    const char *options;                /* server options ("-c name=value"), borrowed; may be NULL */
    unsigned char prepared[DB_NSTMT];   /* 1 once the statement is prepared on this connection */
    enum db_error err;                  /* class of the last failure */
    char errmsg[512];                   /* message of the last failure */
};

/**
 * Open a connection (returns a new object even when connecting failed: it reconnects on use).
 * @p role names the connection's purpose in application_name; @p options (static, may be NULL)
 * are server settings for the session, e.g. "-c synchronous_commit=off". Free with db_close().
 */
struct db_conn *db_open(const char *url, const char *role, const char *options);
void db_close(struct db_conn *c);

/* Make sure the connection is up, reconnecting when it broke; returns false (err set) if not. */
bool db_ensure(struct db_conn *c);

/**
 * Run a prepared statement with text parameters (NULL value = SQL NULL).
 * @return a result with status TUPLES_OK or COMMAND_OK, caller PQclear()s; or NULL with c->err set.
 * A broken connection is reconnected first; a statement is retried on a fresh connection only
 * when it never reached the server (its preparation failed).
 */
PGresult *db_exec(struct db_conn *c, enum db_stmt stmt, int nparams, const char *const *values);

/* Like db_exec for ad-hoc SQL without parameters (DDL, BEGIN/COMMIT, LISTEN). */
PGresult *db_exec_sql(struct db_conn *c, const char *sql);

/* Run a SQL command and discard its result; returns 0 or -1 (c->err set). */
int db_command(struct db_conn *c, const char *sql);

/* Thread-local connection for the calling worker thread, opened on first use. */
struct db_conn *db_thread_conn(const char *url);

/* Close the calling thread's connection (thread exit). */
void db_thread_conn_close(void);

/* Cell accessors: text value or NULL when SQL NULL. */
const char *db_str(const PGresult *r, int row, int col);
long long db_ll(const PGresult *r, int row, int col);
bool db_bool(const PGresult *r, int row, int col);

#endif
