/* DELETE /jobs/<id>: cancel. A queued job never runs; a running one is killed by its executor,
 * which learns it from its next heartbeat; a finished one is a 409. */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "jobs/job_json.h"
#include "metrics.h"
#include "queue/events.h"

enum gw_result gw_handle_jobs_cancel(struct gw_request *rq)
{
    char id[37];
    if (!gw_job_id_valid(rq->param, id))
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    struct db_conn *db = gw_db(rq);
    const char *params[] = {id, gw_tenant_filter(rq)};
    PGresult *r = db_exec(db, STMT_JOB_CANCEL, 2, params);
    if (!r)
        return gw_reply_db_error(rq, db);
    bool cancelled = PQntuples(r) == 1;
    PQclear(r);
    if (cancelled) {
        atomic_fetch_sub(&rq->gw->queue_depth, 1);
        gw_metrics_add(GW_JOBS_CANCELLED, 1);
        gw_events_job_done(rq->gw->events, id);
    }
    r = db_exec(db, STMT_JOB_GET, 2, params);
    if (!r)
        return gw_reply_db_error(rq, db);
    if (PQntuples(r) == 0) {
        PQclear(r);
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    }
    if (!cancelled) {
        char status[16];
        snprintf(status, sizeof status, "%s", PQgetvalue(r, 0, JC_STATUS));
        PQclear(r);
        return gw_reply_error(rq, 409, "job-finished", "Job already finished", "id",
                              "the job is %s and can no longer be cancelled", status);
    }
    json_t *job = gw_job_row_to_json(r, 0, true);
    PQclear(r);
    return gw_reply_json(rq, 200, job);
}
