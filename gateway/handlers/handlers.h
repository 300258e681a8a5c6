/* One function per endpoint (one file each), and the helpers they share. */
#ifndef GW_HANDLERS_H
#define GW_HANDLERS_H

#include "db/db.h"
#include "gateway.h"
#include "http/reply.h"

enum gw_result gw_handle_jobs_create(struct gw_request *rq);
enum gw_result gw_handle_jobs_batch(struct gw_request *rq);
enum gw_result gw_handle_jobs_get(struct gw_request *rq);
enum gw_result gw_handle_jobs_list(struct gw_request *rq);
enum gw_result gw_handle_jobs_wait(struct gw_request *rq);
enum gw_result gw_handle_jobs_cancel(struct gw_request *rq);
enum gw_result gw_handle_job_result(struct gw_request *rq);
enum gw_result gw_handle_executor_lease(struct gw_request *rq);
enum gw_result gw_handle_executor_heartbeat(struct gw_request *rq);
enum gw_result gw_handle_executor_release(struct gw_request *rq);
enum gw_result gw_handle_executor_results(struct gw_request *rq);
enum gw_result gw_handle_runtimes(struct gw_request *rq);
enum gw_result gw_handle_tokens_list(struct gw_request *rq);
enum gw_result gw_handle_tokens_create(struct gw_request *rq);
enum gw_result gw_handle_tokens_revoke(struct gw_request *rq);
enum gw_result gw_handle_healthz(struct gw_request *rq);
enum gw_result gw_handle_readyz(struct gw_request *rq);
enum gw_result gw_handle_metrics(struct gw_request *rq);
enum gw_result gw_handle_job_progress(struct gw_request *rq);
enum gw_result gw_handle_problems_put(struct gw_request *rq);
enum gw_result gw_handle_problems_get(struct gw_request *rq);
enum gw_result gw_handle_blobs_create(struct gw_request *rq);
enum gw_result gw_handle_blobs_get(struct gw_request *rq);

/* "runtime_info" of a lease request (what the executor runs for each runtime: version, compile and
 * run commands): 0 when absent or well-formed, else -1 with @p p a 422. */
int gw_runtime_info_check(const json_t *info, struct gw_problem *p);

/* Record it for the executor @p executor_id (GET /runtimes shows it). Returns 0, or -1 with the
 * reply queued in *res. */
int gw_runtime_info_store(struct gw_request *rq, const char *executor_id, const json_t *info,
                          enum gw_result *res);

/* While a judged job runs: add the tests finished so far ("tests") and "progress" {done, total}
 * to its JSON @p job, from row @p row of @p r (JOB_COLUMNS). Nothing for other states. Returns 0,
 * or -1 when the database failed (the job is left as it was). */
int gw_job_add_progress(struct gw_request *rq, const PGresult *r, int row, json_t *job);

/* A long-poll's length in ms for @p seconds, capped by --max-wait. */
long gw_wait_ms(struct gw_request *rq, double seconds);

/* True for completed, failed and cancelled. */
bool gw_job_finished(const char *status);

/* The calling thread's database connection. */
struct db_conn *gw_db(struct gw_request *rq);

/* Answer a failed statement: 503 when PostgreSQL is unreachable, 500 otherwise. */
enum gw_result gw_reply_db_error(struct gw_request *rq, const struct db_conn *db);

/**
 * Parse the request body as one JSON value (duplicate keys rejected). Returns a new reference, or
 * NULL with @p p set to a 400 naming the line and column.
 */
json_t *gw_parse_body(struct gw_request *rq, struct gw_problem *p);

/* Tenant restriction for queries: NULL for admins (every tenant), else the caller's tenant. */
const char *gw_tenant_filter(const struct gw_request *rq);

/* Check that @p obj has only the given keys (NULL-terminated); 422 naming the first other one. */
int gw_only_fields(const json_t *obj, const char *const *allowed, const char *prefix,
                   struct gw_problem *p);

/* Typed fields of a request object; each fills a 422 naming the field when it is wrong.
 * Absent optional fields leave *out untouched. Return 0 or -1. */
int gw_field_string(const json_t *o, const char *key, bool required, const char **out,
                    struct gw_problem *p);
int gw_field_int(const json_t *o, const char *key, long long lo, long long hi, json_int_t *out,
                 struct gw_problem *p);
int gw_field_number(const json_t *o, const char *key, double lo, double hi, double *out,
                    struct gw_problem *p);

/* Append a PostgreSQL array element (quoted and escaped, or NULL) to b, with a leading comma
 * unless first; returns 0 or -errno. */
int gw_pg_array_add(struct jg_buf *b, const char *value, bool first);

#endif
