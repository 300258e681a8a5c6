/*
 * Fuzz driver for request parsing and validation: the bytes are a request body for POST /jobs or
 * POST /jobs/batch (first byte selects), run through the same JSON decoding and gw_job_parse the
 * gateway uses. Any crash, leak or sanitizer report is a finding. Built with -DJOBGATE_FUZZ=ON
 * (clang, libFuzzer); replay.c runs the seed corpus as a regular test.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "http/reply.h"
#include "http/router.h"
#include "jobs/job_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_config cfg;
static struct gw_catalog cat;
static int ready;

static void init(void)
{
    int pos[2], npos;
    char *argv[] = {"fuzz", NULL};
    gw_config_load(&cfg, 1, argv, 1, pos, 2, &npos);
    char err[64];
    gw_catalog_init(&cat, "", err, sizeof err);
    ready = 1;
}

static void parse_job(const json_t *job, const char *prefix)
{
    struct gw_job_input in;
    struct gw_problem p;
    if (gw_job_parse(job, &cfg, &cat, prefix, &in, &p) == 0) {
        gw_job_input_free(&in);
    } else {
        char *text = gw_problem_render(&p, "/jobs");
        free(text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        init();
    if (size == 0)
        return 0;
    /* Also exercise the router and base64 on the raw bytes. */
    char path[256];
    size_t n = size < sizeof path - 1 ? size : sizeof path - 1;
    memcpy(path, data, n);
    path[n] = '\0';
    const struct gw_route *r;
    char param[80], allow[64];
    gw_route_find("GET", path, &r, param, sizeof param, allow, sizeof allow);
    jg_base64_validate((const char *)data, size, NULL);

    json_t *root = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return 0;
    if (data[0] & 1) {
        json_t *jobs = json_object_get(root, "jobs");
        size_t i;
        json_t *job;
        if (json_is_array(jobs))
            json_array_foreach(jobs, i, job)
            {
                char prefix[32];
                snprintf(prefix, sizeof prefix, "jobs[%zu].", i);
                parse_job(job, prefix);
            }
    } else {
        parse_job(root, "");
    }
    json_decref(root);
    return 0;
}
