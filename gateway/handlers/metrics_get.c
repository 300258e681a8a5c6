/* GET /metrics: Prometheus text; queue gauges come from job_queue (small, indexed). */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "metrics.h"
#include "queue/waiters.h"

enum gw_result gw_handle_metrics(struct gw_request *rq)
{
    struct jg_buf out;
    jg_buf_init(&out, 16 << 20);
    int rc = gw_metrics_render(&out);
    struct db_conn *db = gw_db(rq);
    PGresult *r = db_exec(db, STMT_QUEUE_DEPTH, 0, NULL);
    rc |= jg_buf_printf(&out, "# HELP jobgate_queue_depth Unfinished jobs by runtime and state\n"
                              "# TYPE jobgate_queue_depth gauge\n");
    if (r) {
        for (int i = 0; i < PQntuples(r); i++) {
            const char *state = PQgetvalue(r, i, 1);
            rc |= jg_buf_printf(&out, "jobgate_queue_depth{runtime=\"%s\",state=\"%s\"} %s\n",
                                PQgetvalue(r, i, 0),
                                strcmp(state, "scheduled") == 0 ? "retrying" : state,
                                PQgetvalue(r, i, 2));
        }
        PQclear(r);
    }
    rc |= jg_buf_printf(&out,
                        "# HELP jobgate_database_up Whether the last metrics query reached "
                        "PostgreSQL\n# TYPE jobgate_database_up gauge\njobgate_database_up %d\n"
                        "# HELP jobgate_long_polls Requests parked waiting for a job to end\n"
                        "# TYPE jobgate_long_polls gauge\njobgate_long_polls %ld\n",
                        r ? 1 : 0, gw_waiters_count(rq->gw->waiters));
    if (rc) {
        jg_buf_free(&out);
        return gw_reply_internal(rq, "metrics rendering failed");
    }
    size_t len;
    char *text = jg_buf_take(&out, &len);
    enum gw_result res = gw_reply_text(rq, 200, "text/plain; version=0.0.4", text, len);
    free(text);
    return res;
}
