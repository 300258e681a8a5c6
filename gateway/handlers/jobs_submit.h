/* Shared by POST /jobs and POST /jobs/batch: validate, insert in one statement, answer. */
#ifndef GW_JOBS_SUBMIT_H
#define GW_JOBS_SUBMIT_H

#include "handlers.h"

/* Submit the jobs in @p jobs (an array; borrowed). @p batch selects the response shape.
 * Without an Idempotency-Key the request is suspended until the group commit is done. */
enum gw_result gw_jobs_submit(struct gw_request *rq, json_t *jobs, bool batch);

/* Committed jobs are claimable: count them in the queue depth and metrics, wake dispatchers.
 * The submitter announces each group commit once; an idempotent submit announces its own. */
void gw_jobs_announce(struct gw_ctx *gw, size_t n);

/* Answer a submit after its group commit (rq->resumed with the submission in rq->state). */
enum gw_result gw_jobs_submit_resumed(struct gw_request *rq);

#endif
