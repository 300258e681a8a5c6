/* GET /problems/<name> (admin): the stored problem — tests by hash and size (never the data, whose
 * hashes alone would let a client confirm a guessed answer), checker, limits, scoring, version. */
#include "problems.h"

enum gw_result gw_handle_problems_get(struct gw_request *rq)
{
    if (!gw_problem_name_valid(rq->param))
        return gw_reply_error(rq, 404, "not-found", "Not found", "name", "no such problem");
    return gw_problem_reply(rq, rq->param, 200);
}
