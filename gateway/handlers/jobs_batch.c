/* POST /jobs/batch: submit many jobs in one transaction; one invalid job rejects them all. */
#include "jobs_submit.h"

enum gw_result gw_handle_jobs_batch(struct gw_request *rq)
{
    if (rq->resumed && rq->state)
        return gw_jobs_submit_resumed(rq);
    static const char *const fields[] = {"jobs", NULL};
    struct gw_problem p;
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    enum gw_result res;
    json_t *jobs = json_object_get(root, "jobs");
    if (!json_is_object(root)) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "",
                             "the body must be an object {\"jobs\": [...]}");
    } else if (gw_only_fields(root, fields, "", &p)) {
        res = gw_reply_problem(rq, &p);
    } else if (!json_is_array(jobs)) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "jobs",
                             "jobs is required and must be an array");
    } else if (json_array_size(jobs) == 0 ||
               (long)json_array_size(jobs) > rq->gw->cfg.max_batch) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "jobs",
                             "jobs must hold 1 to %ld jobs (got %zu)", rq->gw->cfg.max_batch,
                             json_array_size(jobs));
    } else {
        res = gw_jobs_submit(rq, jobs, true);
    }
    json_decref(root);
    return res;
}
