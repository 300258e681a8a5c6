/* Shared by POST /jobs and POST /jobs/batch: validate, insert in one statement, answer. */
#ifndef GW_JOBS_SUBMIT_H
#define GW_JOBS_SUBMIT_H

#include "handlers.h"

/* Submit the jobs in @p jobs (an array; borrowed). @p batch selects the response shape. */
enum gw_result gw_jobs_submit(struct gw_request *rq, json_t *jobs, bool batch);

#endif
