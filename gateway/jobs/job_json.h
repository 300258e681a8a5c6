/* Jobs as clients see them: database rows to JSON, and small encoding helpers. */
#ifndef GW_JOB_JSON_H
#define GW_JOB_JSON_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Column order of JOB_COLUMNS in db/statements.c. */
enum gw_job_col {
    JC_PUBLIC_ID, JC_TENANT, JC_RUNTIME, JC_KIND, JC_PRIORITY, JC_MAX_ATTEMPTS, JC_LABELS,
    JC_STATUS, JC_VERDICT, JC_ATTEMPTS, JC_CREATED_AT, JC_STARTED_AT, JC_FINISHED_AT, JC_LIMITS,
    JC_RESULT, JC_INTERNAL_ID, JC_NCOLS
};

/* PostgreSQL ISO timestamp ("2026-11-21 17:31:00.12+00") to RFC 3339 ("...T...Z"). */
void gw_timestamp_iso(const char *pg, char *out, size_t len);

/**
 * The job in row @p row of @p r (JOB_COLUMNS) as a new JSON object; with @p with_result the
 * recorded outcome (result, value, error, output, usage, tests) is merged in. NULL on failure.
 */
json_t *gw_job_row_to_json(const PGresult *r, int row, bool with_result);

/* Append @p s as a JSON string literal (quoted, escaped); returns 0 or -errno. */
int gw_buf_json_string(struct jg_buf *b, const char *s);

/* A job id as clients see it: a UUID in canonical form. Lower-cases it into out (37 bytes). */
bool gw_job_id_valid(const char *id, char out[37]);

#endif
