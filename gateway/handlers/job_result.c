/* PUT /jobs/<id>/result: an executor records a job's outcome. Only the current lease holder's
 * result is accepted, and only once: the lease token fences stale executors (409). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "jobs/job_json.h"
#include "jobs/outcome.h"
#include "metrics.h"
#include "queue/events.h"

enum gw_result gw_handle_job_result(struct gw_request *rq)
{
    char id[37];
    if (!gw_job_id_valid(rq->param, id))
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    struct gw_problem p = {0};
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    enum gw_result res;
    struct gw_outcome o;
    if (gw_outcome_parse(root, NULL, &o, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    struct db_conn *db = gw_db(rq);
    const char *params[] = {id, o.lease, o.status, o.verdict[0] ? o.verdict : NULL, o.doc};
    PGresult *r = db_exec(db, STMT_JOB_COMPLETE, 5, params);
    gw_outcome_free(&o);
    if (!r) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    bool recorded = PQntuples(r) == 1;
    PQclear(r);
    if (recorded) {
        atomic_fetch_sub(&rq->gw->queue_depth, 1);
        gw_metrics_add(strcmp(o.status, "completed") == 0 ? GW_JOBS_COMPLETED : GW_JOBS_FAILED, 1);
        gw_events_job_done(rq->gw->events, id);
        res = gw_reply_json(rq, 200, json_pack("{s:s, s:s, s:b}", "id", id, "status", o.status,
                                               "recorded", 1));
        goto out;
    }
    /* Not recorded: the same lease's retry after a lost answer is fine; anything else is not. */
    const char *q[] = {id, NULL};
    r = db_exec(db, STMT_JOB_STATE, 2, q);
    if (!r) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    if (PQntuples(r) == 0) {
        res = gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    } else if (!PQgetisnull(r, 0, 1) && strcmp(PQgetvalue(r, 0, 1), o.lease) == 0) {
        res = gw_reply_json(rq, 200, json_pack("{s:s, s:s, s:b}", "id", id, "status",
                                               PQgetvalue(r, 0, 0), "recorded", 1));
    } else {
        gw_metrics_add(GW_RESULTS_REFUSED, 1);
        res = gw_reply_error(rq, 409, "stale-lease", "Stale lease", "lease",
                             "this lease is no longer current (the job is now %s); the result "
                             "was not recorded",
                             PQgetvalue(r, 0, 0));
    }
    PQclear(r);
out:
    json_decref(root);
    return res;
}
