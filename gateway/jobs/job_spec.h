/*
 * Validation of a submitted job (POST /jobs and each element of POST /jobs/batch). Pure: no I/O,
 * so the fuzz driver and the unit tests call it directly. The output is the job's row values and
 * the "spec" document executors receive: the request with defaults and effective limits filled in.
 */
#ifndef GW_JOB_SPEC_H
#define GW_JOB_SPEC_H

#include <jansson.h>

#include "catalog.h"
#include "config.h"
#include "http/reply.h"

#define GW_PRIORITY_MIN (-100)
#define GW_PRIORITY_MAX 100

struct gw_job_input {
    char runtime[64];
    unsigned kind;
    long priority;
    long max_attempts;
    struct gw_limits limits;
    char *labels_text; /* JSON object, malloc'd */
    char *limits_text; /* JSON object, malloc'd */
    char *spec_text;   /* JSON object, malloc'd */
};

/**
 * Validate @p root against the configuration and catalog. @p prefix is prepended to field names
 * in problems ("jobs[2]."; may be ""). Returns 0 and fills @p out (release with
 * gw_job_input_free), or -1 with @p p describing the first problem (400 or 422).
 */
int gw_job_parse(const json_t *root, const struct gw_config *cfg, const struct gw_catalog *cat,
                 const char *prefix, struct gw_job_input *out, struct gw_problem *p);

void gw_job_input_free(struct gw_job_input *in);

#endif
