/* GET /jobs/<id>[?wait=seconds]: the job; with wait, a long-poll until it ends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "http/server.h"
#include "jobs/job_json.h"
#include "queue/waiters.h"

static void free_wait(struct gw_request *rq)
{
    struct gw_wait *w = rq->state;
    if (w && w->registered)
        gw_wait_cancel(rq->gw->waiters, w);
    free(w);
    rq->state = NULL;
}

/* Parse "?wait=" as whole or fractional seconds, capped by --max-wait. -1 when malformed. */
static long wait_ms(struct gw_request *rq)
{
    const char *v = gw_query(rq, "wait");
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double s = strtod(v, &end);
    if (errno || end == v || *end || !(s >= 0) || s > 1e9)
        return -1;
    double cap = (double)rq->gw->cfg.max_wait_s;
    return (long)((s > cap ? cap : s) * 1000.0);
}

enum gw_result gw_handle_jobs_get(struct gw_request *rq)
{
    char id[37];
    if (!gw_job_id_valid(rq->param, id))
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    struct gw_wait *w = rq->state;
    long ms = 0;
    if (!rq->resumed) {
        ms = wait_ms(rq);
        if (ms < 0)
            return gw_reply_error(rq, 400, "invalid-parameter", "Invalid parameter", "wait",
                                  "wait must be a number of seconds >= 0");
    }
    /* Register before reading, so an end that happens after the read still wakes us. */
    if (ms > 0) {
        if (!w) {
            w = calloc(1, sizeof *w);
            if (!w)
                return gw_reply_internal(rq, "out of memory");
            rq->state = w;
            rq->state_free = free_wait;
            memcpy(w->id, id, sizeof id);
            w->rq = rq;
            clock_gettime(CLOCK_MONOTONIC, &w->deadline);
            w->deadline.tv_sec += ms / 1000;
            w->deadline.tv_nsec += (ms % 1000) * 1000000L;
            if (w->deadline.tv_nsec >= 1000000000L) {
                w->deadline.tv_sec++;
                w->deadline.tv_nsec -= 1000000000L;
            }
        }
        gw_wait_register(rq->gw->waiters, w);
    }
    struct db_conn *db = gw_db(rq);
    const char *params[] = {id, gw_tenant_filter(rq)};
    PGresult *r = db_exec(db, STMT_JOB_GET, 2, params);
    if (!r)
        return gw_reply_db_error(rq, db);
    if (PQntuples(r) == 0) {
        PQclear(r);
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    }
    const char *status = PQgetvalue(r, 0, JC_STATUS);
    bool finished = strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
    if (ms > 0 && !finished && !atomic_load(&rq->gw->stopping)) {
        if (gw_wait_suspend(rq->gw->waiters, w)) {
            PQclear(r);
            return GW_SUSPENDED;
        }
    }
    if (w && w->registered)
        gw_wait_cancel(rq->gw->waiters, w);
    json_t *job = gw_job_row_to_json(r, 0, true);
    PQclear(r);
    return gw_reply_json(rq, 200, job);
}
