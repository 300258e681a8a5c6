/* POST /jobs: submit one job. */
#include "jobs_submit.h"

enum gw_result gw_handle_jobs_create(struct gw_request *rq)
{
    if (rq->resumed && rq->state)
        return gw_jobs_submit_resumed(rq);
    struct gw_problem p;
    json_t *job = gw_parse_body(rq, &p);
    if (!job)
        return gw_reply_problem(rq, &p);
    json_t *one = json_pack("[O]", job);
    json_decref(job);
    if (!one)
        return gw_reply_internal(rq, "out of memory");
    enum gw_result res = gw_jobs_submit(rq, one, false);
    json_decref(one);
    return res;
}
