/* POST /executor/heartbeat: extend the caller's leases; the answer lists runs to kill
 * (the job was cancelled, or the lease was lost to expiry and the job went elsewhere). */
#include <stdio.h>
#include <string.h>

#include "executor_leases.h"
#include "jobs/job_json.h"

enum gw_result gw_handle_executor_heartbeat(struct gw_request *rq)
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
    struct db_conn *db = gw_db(rq);
    char ms[24];
    snprintf(ms, sizeof ms, "%ld", rq->gw->cfg.lease_ttl_ms);
    if (gw_executor_check(rq, l.executor_id, &res))
        goto out;
    json_t *extended = json_array(), *cancel = json_array();
    if (l.n > 0) {
        const char *params[] = {l.executor_id, l.ids.data, l.leases.data, ms};
        PGresult *r = db_exec(db, STMT_LEASE_HEARTBEAT, 4, params);
        if (!r) {
            json_decref(extended);
            json_decref(cancel);
            res = gw_reply_db_error(rq, db);
            goto out;
        }
        for (int i = 0; i < PQntuples(r); i++) {
            const char *id = PQgetvalue(r, i, 0);
            if (!PQgetisnull(r, i, 1)) {
                char until[48];
                gw_timestamp_iso(PQgetvalue(r, i, 1), until, sizeof until);
                json_array_append_new(extended, json_pack("{s:s, s:s}", "job_id", id,
                                                          "lease_expires_at", until));
            } else {
                const char *st = PQgetisnull(r, i, 2) ? "" : PQgetvalue(r, i, 2);
                json_array_append_new(
                    cancel, json_pack("{s:s, s:s}", "job_id", id, "reason",
                                      strcmp(st, "cancelled") == 0 ? "cancelled" : "lease_lost"));
            }
        }
        PQclear(r);
    }
    res = gw_reply_json(rq, 200,
                        json_pack("{s:o, s:o, s:I}", "leases", extended, "cancel", cancel,
                                  "lease_ttl_ms", (json_int_t)rq->gw->cfg.lease_ttl_ms));
out:
    gw_lease_list_free(&l);
    json_decref(root);
    return res;
}
