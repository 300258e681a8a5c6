/* Request parsing shared by heartbeat and release: {"executor_id", "leases": [{job_id, lease}]}. */
#ifndef GW_EXECUTOR_LEASES_H
#define GW_EXECUTOR_LEASES_H

#include "buf.h"
#include "handlers.h"

struct gw_lease_list {
    char executor_id[37];
    struct jg_buf ids;    /* PostgreSQL uuid[] literal of job ids */
    struct jg_buf leases; /* PostgreSQL uuid[] literal of lease tokens, same order */
    size_t n;
};

/* Parse and validate; returns 0 (release with gw_lease_list_free) or -1 with @p p set. */
int gw_lease_list_parse(const json_t *root, struct gw_lease_list *out, struct gw_problem *p);
void gw_lease_list_free(struct gw_lease_list *l);

/* The executor id must have leased with the caller's token: records it as seen. Returns 0, or -1
 * after answering (404 unknown executor, 503/500 database). */
int gw_executor_check(struct gw_request *rq, const char *executor_id, enum gw_result *res);

#endif
