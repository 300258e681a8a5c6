/* GET /healthz (the process answers), GET /readyz (database reachable, schema current). */
#include "db/migrations.h"
#include "handlers.h"

enum gw_result gw_handle_healthz(struct gw_request *rq)
{
    return gw_reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}

enum gw_result gw_handle_readyz(struct gw_request *rq)
{
    if (atomic_load(&rq->gw->stopping)) {
        gw_reply_header(rq, "Retry-After", "1");
        return gw_reply_error(rq, 503, "unavailable", "Service unavailable", NULL,
                              "the gateway is shutting down");
    }
    struct db_conn *db = gw_db(rq);
    int version = db ? db_schema_version(db) : -1;
    if (version < 0) {
        gw_reply_header(rq, "Retry-After", "1");
        return gw_reply_error(rq, 503, "unavailable", "Service unavailable", NULL,
                              "the database is unreachable");
    }
    if (version != db_migrations_count) {
        gw_reply_header(rq, "Retry-After", "5");
        return gw_reply_error(rq, 503, "unavailable", "Service unavailable", NULL,
                              "the database schema is version %d, this gateway needs %d", version,
                              db_migrations_count);
    }
    return gw_reply_json(rq, 200, json_pack("{s:s, s:i}", "status", "ready", "schema_version",
                                            version));
}
