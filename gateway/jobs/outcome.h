/* A job's outcome as an executor reports it: validated, and split into the envelope (lease, status,
 * verdict) and the document stored with the job. */
#ifndef GW_OUTCOME_H
#define GW_OUTCOME_H

#include <jansson.h>

#include "http/reply.h"

struct gw_outcome {
    char lease[37];
    char status[16];  /* completed | failed */
    char verdict[8];  /* "" for failed jobs */
    char *doc;        /* the stored outcome (JSON), malloc'd */
};

/**
 * Validate @p root (an object; @p extra names one more allowed field, e.g. "job_id", or NULL) and
 * fill @p out (release with gw_outcome_free). Returns 0, or -1 with a 422 in @p p naming the field.
 */
int gw_outcome_parse(json_t *root, const char *extra, struct gw_outcome *out, struct gw_problem *p);
void gw_outcome_free(struct gw_outcome *o);

#endif
