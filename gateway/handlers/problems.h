/* Stored problems (PUT/GET /problems/<name>) and content-addressed blobs (POST/GET /blobs): what
 * the handlers share. Design note: db/README.md, "Judging". */
#ifndef GW_PROBLEMS_H
#define GW_PROBLEMS_H

#include "handlers.h"
#include "jobs/job_spec.h"

/* Columns of STMT_PROBLEMS_GET. */
enum gw_problem_col {
    GW_PC_NAME, GW_PC_VERSION, GW_PC_MANIFEST, GW_PC_DOC, GW_PC_LIMITS, GW_PC_CREATED,
    GW_PC_UPDATED
};

/* Answer @p status with the problem @p name as stored now (404 when there is none). */
enum gw_result gw_problem_reply(struct gw_request *rq, const char *name, unsigned status);

/* A row of STMT_PROBLEMS_GET as GET /problems/<name> shows it (a new object). */
json_t *gw_problem_row_to_json(const PGresult *r, int row);

/* A problem name: 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'. */
bool gw_problem_name_valid(const char *name);

/* A SHA-256 in hex (64 characters, any case) lower-cased into out. */
bool gw_sha256_hex_valid(const char *s, char out[65]);

/**
 * Look up the stored problems named by the jobs in @p jobs (an array; "problem" fields that are
 * strings) in one query. Returns 0 with @p out filled (free with gw_stored_problems_free; empty
 * when no job names one), or -1 with the reply already queued in *res (database down).
 */
int gw_problems_resolve(struct gw_request *rq, const json_t *jobs, struct gw_stored_problems *out,
                        enum gw_result *res);
void gw_stored_problems_free(struct gw_stored_problems *set);

#endif
