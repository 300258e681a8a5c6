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
    gw_wait_group_free(rq->gw->waiters, rq->state);
    rq->state = NULL;
}

long gw_wait_ms(struct gw_request *rq, double seconds)
{
    double cap = (double)rq->gw->cfg.max_wait_s;
    return (long)((seconds > cap ? cap : seconds) * 1000.0);
}

/* "?wait=" as whole or fractional seconds, capped by --max-wait; -1 when malformed. */
static long wait_param(struct gw_request *rq)
{
    const char *v = gw_query(rq, "wait");
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double s = strtod(v, &end);
    if (errno || end == v || *end || !(s >= 0) || s > 1e9)
        return -1;
    return gw_wait_ms(rq, s);
}

bool gw_job_finished(const char *status)
{
    return strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
}

enum gw_result gw_handle_jobs_get(struct gw_request *rq)
{
    char id[37];
    if (!gw_job_id_valid(rq->param, id))
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    struct gw_wait_group *g = rq->state;
    if (!rq->resumed) {
        long ms = wait_param(rq);
        if (ms < 0)
            return gw_reply_error(rq, 400, "invalid-parameter", "Invalid parameter", "wait",
                                  "wait must be a number of seconds >= 0");
        if (ms > 0) {
            g = gw_wait_group_new(rq, 1, ms);
            if (!g)
                return gw_reply_internal(rq, "out of memory");
            memcpy(g->waits[0].id, id, sizeof id);
            rq->state = g;
            rq->state_free = free_wait;
            /* Register before reading, so an end that happens after the read still wakes us. */
            gw_wait_register(rq->gw->waiters, g);
        }
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
    if (g && !rq->resumed && !gw_job_finished(PQgetvalue(r, 0, JC_STATUS)) &&
        !atomic_load(&rq->gw->stopping) && gw_wait_suspend(rq->gw->waiters, g)) {
        PQclear(r);
        return GW_SUSPENDED;
    }
    if (g)
        gw_wait_cancel(rq->gw->waiters, g);
    json_t *job = gw_job_row_to_json(r, 0, true);
    if (job)
        gw_job_add_progress(rq, r, 0, job); /* a running judged job: the tests so far */
    PQclear(r);
    return gw_reply_json(rq, 200, job);
}
