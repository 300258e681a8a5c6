/* Process-wide state of a gateway and the request object every handler works on. */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "config.h"

struct gw_catalog;
struct gw_waiters;
struct gw_dispatcher;
struct gw_submitter;
struct gw_events;
struct gw_metrics;
struct gw_route;

enum gw_role { GW_ROLE_CLIENT = 1, GW_ROLE_EXECUTOR = 2, GW_ROLE_ADMIN = 4 };

struct gw_ctx {
    struct gw_config cfg;
    struct gw_catalog *catalog;
    struct gw_waiters *waiters;
    struct gw_dispatcher *dispatcher;
    struct gw_submitter *submitter;
    struct gw_events *events;
    struct gw_metrics *metrics;
    atomic_long queue_depth;      /* unfinished jobs, refreshed by the sweeper and on submit */
    atomic_int token_generation;  /* bumped when a token is revoked anywhere: flushes caches */
    atomic_bool db_ready;         /* last sweep reached the database with a current schema */
    atomic_bool stopping;
    atomic_long in_flight;        /* requests received and not yet completed */
    struct MHD_Daemon *daemon;
};

/* Who is calling, from the bearer token. */
struct gw_principal {
    long long token_id;
    char tenant[128];
    enum gw_role role;
};

/* What a handler returns: a response was queued, the connection was suspended, or drop it. */
enum gw_result { GW_OK, GW_SUSPENDED, GW_FATAL };

#define GW_MAX_HEADERS 4

struct gw_request {
    struct gw_ctx *gw;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    const struct gw_route *route;
    char param[80];          /* the path's variable segment, e.g. a job id */
    struct jg_buf body;
    bool body_too_large;
    bool replied;
    bool resumed;            /* the handler runs again after a suspension */
    atomic_bool resume_pending; /* set by gw_server_resume (any thread), consumed by the next run */
    unsigned status;         /* HTTP status sent, for metrics and logs */
    struct gw_principal who;
    struct timespec started;
    const char *headers[GW_MAX_HEADERS][2]; /* extra response headers (borrowed strings) */
    int nheaders;
    char header_value[96];                /* storage for one computed header (Location) */
    void *state;                          /* handler state across a suspension */
    void (*state_free)(struct gw_request *rq);
};

#endif
