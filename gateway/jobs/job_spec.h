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

/* A stored problem as the validator sees it: resolved by the caller (handlers/problems_resolve.c)
 * from the problems table before validating, so that validation itself stays free of I/O. */
struct gw_stored_problem {
    char name[128];
    long version;
    char manifest[65]; /* SHA-256 (hex) of the manifest blob: the tests by hash, checker, scoring */
    json_t *limits;    /* the problem's default limits (object; owned) */
};

struct gw_stored_problems {
    struct gw_stored_problem *items;
    size_t n;
};

const struct gw_stored_problem *gw_stored_problem_find(const struct gw_stored_problems *set,
                                                       const char *name);

/**
 * Validate @p root against the configuration and catalog. @p prefix is prepended to field names
 * in problems ("jobs[2]."; may be ""). Returns 0 and fills @p out (release with
 * gw_job_input_free), or -1 with @p p describing the first problem (400 or 422).
 */
int gw_job_parse(const json_t *root, const struct gw_config *cfg, const struct gw_catalog *cat,
                 const char *prefix, struct gw_job_input *out, struct gw_problem *p);

/* The same, with the stored problems a job may name in "problem" (@p problems may be NULL: then
 * naming one is a 422). A problem job's spec carries {"name", "version", "manifest"}. */
int gw_job_parse_with(const json_t *root, const struct gw_config *cfg,
                      const struct gw_catalog *cat, const struct gw_stored_problems *problems,
                      const char *prefix, struct gw_job_input *out, struct gw_problem *p);

void gw_job_input_free(struct gw_job_input *in);

/* A "checker" or "limits" value as a job of @p kind may have it (stored problems use the same
 * rules); problems name the field after @p prefix. Return 0 or -1 with @p p filled. */
int gw_checker_validate(const json_t *v, unsigned kind, const struct gw_config *cfg,
                        const struct gw_catalog *cat, const char *prefix, struct gw_problem *p);
int gw_limits_validate(const json_t *v, const struct gw_config *cfg, const char *prefix,
                       struct gw_problem *p);

#endif
