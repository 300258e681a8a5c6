#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void set_error(struct db_conn *c, enum db_error err, const char *msg)
{
    c->err = err;
    snprintf(c->errmsg, sizeof c->errmsg, "%s", msg ? msg : "");
    size_t n = strlen(c->errmsg);
    while (n > 0 && (c->errmsg[n - 1] == '\n' || c->errmsg[n - 1] == ' '))
        c->errmsg[--n] = '\0';
}

/* Session settings every connection gets: bounded statements, no forgotten transactions. */
static const char session_setup[] =
    "SET statement_timeout = '30s';"
    "SET idle_in_transaction_session_timeout = '30s';"
    "SET lock_timeout = '10s';"
    "SET TIME ZONE 'UTC';"
    "SET DateStyle = 'ISO';"
    "SET client_min_messages = warning;";

static bool connect_now(struct db_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    char appname[64];
    snprintf(appname, sizeof appname, "jobgate-%s", c->role);
    const char *keys[8], *vals[8];
    int n = 0;
    if (*c->url) { /* expand_dbname: a conninfo string or a URI; empty means libpq's PG* defaults */
        keys[n] = "dbname";
        vals[n++] = c->url;
    }
    keys[n] = "application_name";
    vals[n++] = appname;
    keys[n] = "connect_timeout";
    vals[n++] = "3";
    keys[n] = "keepalives_idle";
    vals[n++] = "30";
    if (c->options) {
        keys[n] = "options";
        vals[n++] = c->options;
    }
    keys[n] = NULL;
    vals[n] = NULL;
    c->pg = PQconnectdbParams(keys, vals, 1);
    memset(c->prepared, 0, sizeof c->prepared);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        set_error(c, DB_UNAVAILABLE, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return false;
    }
    PGresult *r = PQexec(c->pg, session_setup);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        set_error(c, DB_FAILED, PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

struct db_conn *db_open(const char *url, const char *role, const char *options)
{
    struct db_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->url = strdup(url ? url : "");
    c->role = role;
    c->options = options;
    if (!c->url) {
        free(c);
        return NULL;
    }
    if (!connect_now(c))
        JG_WARN("db", "%s connection: %s", role, c->errmsg);
    return c;
}

void db_close(struct db_conn *c)
{
    if (!c)
        return;
    if (c->pg)
        PQfinish(c->pg);
    free(c->url);
    free(c);
}

bool db_ensure(struct db_conn *c)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return true;
    return connect_now(c);
}

static enum db_error classify(const PGresult *r, PGconn *pg)
{
    if (!r || PQstatus(pg) != CONNECTION_OK)
        return DB_UNAVAILABLE;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (!state) /* made by libpq itself: the connection broke (the server never answered) */
        return DB_UNAVAILABLE;
    if (strcmp(state, "23505") == 0)
        return DB_CONFLICT;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return DB_RETRY;
    /* Class 08 (connection), 57P0x (shutdown, crash recovery), 53 (resources): try later. */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strncmp(state, "53", 2) == 0)
        return DB_UNAVAILABLE;
    return DB_FAILED;
}

static PGresult *finish(struct db_conn *c, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (r && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
        c->err = DB_OK;
        return r;
    }
    set_error(c, classify(r, c->pg), r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
    PQclear(r);
    /* A connection that broke while idle (a server restart) fails its next statement, and libpq
     * may still call it OK: drop it (unless a transaction is open) so the next use reconnects. */
    if (c->err == DB_UNAVAILABLE && PQtransactionStatus(c->pg) != PQTRANS_INTRANS &&
        PQtransactionStatus(c->pg) != PQTRANS_INERROR) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    return NULL;
}

PGresult *db_exec(struct db_conn *c, enum db_stmt stmt, int nparams, const char *const *values)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!db_ensure(c))
            return NULL;
        if (!c->prepared[stmt]) {
            PGresult *p = PQprepare(c->pg, db_stmt_name(stmt), db_stmt_sql(stmt), 0, NULL);
            if (PQresultStatus(p) != PGRES_COMMAND_OK) {
                set_error(c, classify(p, c->pg), PQresultErrorMessage(p));
                PQclear(p);
                /* A statement that never ran is safe to try again on a fresh connection. */
                if (c->err == DB_UNAVAILABLE && PQtransactionStatus(c->pg) != PQTRANS_INTRANS &&
                    PQtransactionStatus(c->pg) != PQTRANS_INERROR) {
                    PQfinish(c->pg);
                    c->pg = NULL;
                    if (attempt == 0)
                        continue;
                }
                if (c->err != DB_UNAVAILABLE)
                    JG_ERROR("db", "prepare %s: %s", db_stmt_name(stmt), c->errmsg);
                return NULL;
            }
            PQclear(p);
            c->prepared[stmt] = 1;
        }
        bool in_tx = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
        PGresult *r = PQexecPrepared(c->pg, db_stmt_name(stmt), nparams, values, NULL, NULL, 0);
        r = finish(c, r);
        /* finish() dropped a broken connection: a read can simply run again on a new one; a
         * write might have committed, so its failure is reported. */
        if (!r && !c->pg && !in_tx && attempt == 0 && db_stmt_readonly(stmt))
            continue;
        if (!r && c->err == DB_FAILED)
            JG_ERROR("db", "%s: %s", db_stmt_name(stmt), c->errmsg);
        return r;
    }
    return NULL;
}

PGresult *db_exec_sql(struct db_conn *c, const char *sql)
{
    if (!db_ensure(c))
        return NULL;
    return finish(c, PQexec(c->pg, sql));
}

int db_command(struct db_conn *c, const char *sql)
{
    PGresult *r = db_exec_sql(c, sql);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_conn_destroy(void *p)
{
    db_close(p);
}

static void thread_key_init(void)
{
    pthread_key_create(&thread_key, thread_conn_destroy);
}

struct db_conn *db_thread_conn(const char *url)
{
    pthread_once(&thread_once, thread_key_init);
    struct db_conn *c = pthread_getspecific(thread_key);
    if (!c) {
        c = db_open(url, "http", NULL);
        if (c)
            pthread_setspecific(thread_key, c);
    }
    return c;
}

void db_thread_conn_close(void)
{
    pthread_once(&thread_once, thread_key_init);
    struct db_conn *c = pthread_getspecific(thread_key);
    if (c) {
        pthread_setspecific(thread_key, NULL);
        db_close(c);
    }
}

const char *db_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

long long db_ll(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool db_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}
