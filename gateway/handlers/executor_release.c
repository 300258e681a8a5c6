/* POST /executor/release: hand leased jobs back unrun (executor shutdown); they are queued
 * again at once and the attempt does not count. */
#include "executor_leases.h"
#include "metrics.h"
#include "queue/events.h"

enum gw_result gw_handle_executor_release(struct gw_request *rq)
{
    struct gw_problem p;
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    struct gw_lease_list l;
    enum gw_result res;
    if (gw_lease_list_parse(root, &l, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    if (gw_executor_check(rq, l.executor_id, &res))
        goto out;
    json_t *released = json_array();
    if (l.n > 0) {
        struct db_conn *db = gw_db(rq);
        const char *params[] = {l.executor_id, l.ids.data, l.leases.data};
        PGresult *r = db_exec(db, STMT_LEASE_RELEASE, 3, params);
        if (!r) {
            json_decref(released);
            res = gw_reply_db_error(rq, db);
            goto out;
        }
        for (int i = 0; i < PQntuples(r); i++)
            json_array_append_new(released, json_string(PQgetvalue(r, i, 0)));
        if (PQntuples(r) > 0) {
            gw_metrics_add(GW_LEASES_RELEASED, PQntuples(r));
            gw_events_jobs_queued(rq->gw->events);
        }
        PQclear(r);
    }
    res = gw_reply_json(rq, 200, json_pack("{s:o}", "released", released));
out:
    gw_lease_list_free(&l);
    json_decref(root);
    return res;
}
