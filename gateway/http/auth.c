#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/db.h"
#include "random.h"
#include "sha256.h"

#define CACHE_SLOTS 64

/* Verified tokens, per worker thread, so the hot path needs no lock and no round trip. */
struct cache_entry {
    char hash[65];
    struct gw_principal who;
    time_t expires;
    int generation;
};

static _Thread_local struct cache_entry cache[CACHE_SLOTS];

const char *gw_role_name(enum gw_role role)
{
    switch (role) {
    case GW_ROLE_CLIENT:
        return "client";
    case GW_ROLE_EXECUTOR:
        return "executor";
    case GW_ROLE_ADMIN:
        return "admin";
    }
    return "unknown";
}

int gw_role_parse(const char *name, enum gw_role *out)
{
    static const enum gw_role roles[] = {GW_ROLE_CLIENT, GW_ROLE_EXECUTOR, GW_ROLE_ADMIN};
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, gw_role_name(roles[i])) == 0) {
            *out = roles[i];
            return 0;
        }
    }
    return -EINVAL;
}

int gw_token_generate(enum gw_role role, char *out)
{
    out[0] = 'j';
    out[1] = 'g';
    out[2] = gw_role_name(role)[0];
    out[3] = '_';
    return jg_random_hex(out + 4, 32);
}

void gw_token_hash(const char *secret, char out[65])
{
    jg_sha256_hex(secret, strlen(secret), out);
}

static const char *bearer(struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0)
            return NULL;
        h += 7;
        while (*h == ' ')
            h++;
        return h;
    }
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Auth-Token");
}

static unsigned slot_of(const char *hash)
{
    unsigned v = 0;
    for (int i = 0; i < 8; i++)
        v = v * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return v % CACHE_SLOTS;
}

int gw_authenticate(struct gw_request *rq, struct gw_problem *p)
{
    static const char title[] = "Unauthorized";
    const char *token = bearer(rq->conn);
    if (!token || !*token) {
        gw_reply_header(rq, "WWW-Authenticate", "Bearer realm=\"jobgate\"");
        return gw_fail(p, 401, "unauthorized", title, NULL,
                       "send a token as 'Authorization: Bearer <token>'");
    }
    if (strlen(token) > 256) {
        gw_reply_header(rq, "WWW-Authenticate", "Bearer realm=\"jobgate\", error=\"invalid_token\"");
        return gw_fail(p, 401, "unauthorized", title, NULL, "the token is not valid");
    }
    char hash[65];
    gw_token_hash(token, hash);
    struct cache_entry *e = &cache[slot_of(hash)];
    time_t now = time(NULL);
    int gen = atomic_load(&rq->gw->token_generation);
    if (e->expires > now && e->generation == gen && strcmp(e->hash, hash) == 0) {
        rq->who = e->who;
        return 0;
    }
    struct db_conn *db = db_thread_conn(rq->gw->cfg.database_url);
    const char *params[] = {hash};
    PGresult *r = db ? db_exec(db, STMT_TOKEN_LOOKUP, 1, params) : NULL;
    if (!r) {
        if (db && db->err == DB_FAILED)
            return gw_fail(p, 500, "internal", "Internal server error", NULL,
                           "token verification failed");
        gw_reply_header(rq, "Retry-After", "1");
        return gw_fail(p, 503, "unavailable", "Service unavailable", NULL,
                       "the job store is unreachable; try again shortly");
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        gw_reply_header(rq, "WWW-Authenticate", "Bearer realm=\"jobgate\", error=\"invalid_token\"");
        return gw_fail(p, 401, "unauthorized", title, NULL,
                       "the token is unknown or has been revoked");
    }
    struct gw_principal who = {0};
    who.token_id = db_ll(r, 0, 0);
    snprintf(who.tenant, sizeof who.tenant, "%s", db_str(r, 0, 1));
    gw_role_parse(db_str(r, 0, 2), &who.role);
    PQclear(r);
    rq->who = who;
    memcpy(e->hash, hash, sizeof hash);
    e->who = who;
    e->generation = gen;
    e->expires = now + rq->gw->cfg.token_cache_s;
    return 0;
}
