/* GET /runtimes: the catalog, and which runtimes executors seen recently serve. */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "jobs/catalog.h"

enum gw_result gw_handle_runtimes(struct gw_request *rq)
{
    struct db_conn *db = gw_db(rq);
    char secs[24];
    snprintf(secs, sizeof secs, "%ld", rq->gw->cfg.executor_seen_s);
    const char *params[] = {secs};
    PGresult *r = db_exec(db, STMT_RUNTIMES_LIVE, 1, params);
    if (!r)
        return gw_reply_db_error(rq, db);
    PGresult *info = db_exec(db, STMT_RUNTIMES_INFO, 1, params);
    if (!info) {
        PQclear(r);
        return gw_reply_db_error(rq, db);
    }
    json_t *list = json_array();
    const struct gw_catalog *cat = rq->gw->catalog;
    for (int i = 0; i < cat->n; i++) {
        const struct gw_runtime *rt = &cat->items[i];
        json_t *kinds = json_array();
        for (unsigned k = GW_KIND_CALL; k <= GW_KIND_PROGRAM; k <<= 1)
            if (rt->kinds & k)
                json_array_append_new(kinds, json_string(gw_kind_name(k)));
        json_int_t executors = 0, slots = 0;
        for (int row = 0; row < PQntuples(r); row++) {
            if (strcmp(PQgetvalue(r, row, 0), rt->name) == 0) {
                executors = db_ll(r, row, 1);
                slots = db_ll(r, row, 2);
            }
        }
        /* What live executors run for it (normally one entry: one fleet, one compiler). */
        json_t *versions = json_array();
        for (int row = 0; row < PQntuples(info); row++) {
            json_t *v = strcmp(PQgetvalue(info, row, 0), rt->name) == 0
                            ? json_loads(PQgetvalue(info, row, 1), 0, NULL)
                            : NULL;
            if (json_is_object(v))
                json_array_append(versions, v);
            json_decref(v);
        }
        json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:b, s:I, s:I, s:o}", "name",
                                              rt->name, "kinds", kinds, "description",
                                              rt->description, "available", executors > 0,
                                              "executors", executors, "slots", slots, "versions",
                                              versions));
    }
    PQclear(r);
    PQclear(info);
    return gw_reply_json(rq, 200, json_pack("{s:o}", "runtimes", list));
}
