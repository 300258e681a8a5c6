/* GET /jobs?status=&label=k=v&limit=&cursor=: the caller's jobs, newest first, keyset-paginated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "http/server.h"
#include "jobs/job_json.h"
#include "utf8.h"

struct label_filter {
    json_t *labels;
    const char *bad;
};

static enum MHD_Result collect_label(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct label_filter *lf = cls;
    if (strcmp(key, "label") != 0)
        return MHD_YES;
    const char *eq = value ? strchr(value, '=') : NULL;
    if (!eq || eq == value || eq - value > 63) {
        lf->bad = value ? value : "";
        return MHD_NO;
    }
    char name[64];
    memcpy(name, value, (size_t)(eq - value));
    name[eq - value] = '\0';
    /* Not UTF-8 (json_string fails): refuse it rather than silently drop the filter. */
    if (json_object_set_new(lf->labels, name, json_string(eq + 1))) {
        lf->bad = value;
        return MHD_NO;
    }
    return MHD_YES;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

enum gw_result gw_handle_jobs_list(struct gw_request *rq)
{
    static const char *statuses[] = {"queued", "running", "completed", "failed", "cancelled"};
    const char *status = gw_query(rq, "status");
    if (status) {
        int i = 0;
        while (i < 5 && strcmp(status, statuses[i]) != 0)
            i++;
        if (i == 5)
            return gw_reply_error(rq, 400, "invalid-parameter", "Invalid parameter", "status",
                                  "status must be queued, running, completed, failed or cancelled");
    }
    long limit = 50, cursor = 0;
    const char *v = gw_query(rq, "limit");
    if (v && !parse_long(v, 1, 1000, &limit))
        return gw_reply_error(rq, 400, "invalid-parameter", "Invalid parameter", "limit",
                              "limit must be an integer from 1 to 1000");
    v = gw_query(rq, "cursor");
    if (v && !parse_long(v, 1, 9007199254740991L, &cursor))
        return gw_reply_error(rq, 400, "invalid-parameter", "Invalid parameter", "cursor",
                              "cursor must be a next_cursor value from a previous page");
    struct label_filter lf = {json_object(), NULL};
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, collect_label, &lf);
    if (lf.bad) {
        json_decref(lf.labels);
        return gw_reply_error(rq, 400, "invalid-parameter", "Invalid parameter", "label",
                              "label must be name=value");
    }
    char *labels = json_object_size(lf.labels) ? json_dumps(lf.labels, JSON_COMPACT) : NULL;
    json_decref(lf.labels);

    char before[24], lim[24];
    snprintf(before, sizeof before, "%ld", cursor ? cursor : 9223372036854775807L);
    snprintf(lim, sizeof lim, "%ld", limit + 1); /* one more tells whether a next page exists */
    const char *tenant = gw_tenant_filter(rq);
    const char *admin_tenant = gw_query(rq, "tenant");
    if (admin_tenant && (strlen(admin_tenant) == 0 || strlen(admin_tenant) > 100 ||
                         !jg_utf8_valid(admin_tenant, strlen(admin_tenant)))) {
        free(labels);
        return gw_reply_error(rq, 400, "invalid-parameter", "Invalid parameter", "tenant",
                              "tenant must be a tenant name");
    }
    const char *params[] = {tenant ? tenant : admin_tenant, before, labels, status, lim};
    struct db_conn *db = gw_db(rq);
    PGresult *r = db_exec(db, tenant ? STMT_JOBS_LIST : STMT_JOBS_LIST_ALL, 5, params);
    free(labels);
    if (!r)
        return gw_reply_db_error(rq, db);
    int rows = PQntuples(r);
    bool more = rows > limit;
    if (more)
        rows = (int)limit;
    json_t *list = json_array();
    for (int i = 0; i < rows; i++)
        json_array_append_new(list, gw_job_row_to_json(r, i, false));
    json_t *next = more ? json_string(PQgetvalue(r, rows - 1, JC_INTERNAL_ID)) : json_null();
    PQclear(r);
    return gw_reply_json(rq, 200, json_pack("{s:o, s:o}", "jobs", list, "next_cursor", next));
}
