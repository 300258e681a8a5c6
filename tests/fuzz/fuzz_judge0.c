/*
 * Fuzz driver for the Judge0 layer's parsers: the bytes are a Judge0 submission body (first byte:
 * bit 0 base64_encoded, bit 1 a batch {"submissions": [...]}) run through j0_submission_parse as
 * POST /submissions does, and also a ?fields= value for j0_fields_parse. Any crash, leak or
 * sanitizer report is a finding. Built with -DJOBGATE_FUZZ=ON (clang, libFuzzer); replay.c runs
 * the seed corpus (corpus_judge0/) as a regular test.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "judge0/judge0.h"

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

static void parse_one(const json_t *body, bool b64)
{
    struct gw_job_input in;
    struct gw_problem p;
    json_t *errors = NULL;
    int rc = j0_submission_parse(body, b64, &cfg, &cat, &in, &errors, &p);
    if (rc == 0)
        gw_job_input_free(&in);
    json_decref(errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        init();
    if (size == 0)
        return 0;
    char fields[512], invalid[256];
    size_t n = size - 1 < sizeof fields - 1 ? size - 1 : sizeof fields - 1;
    memcpy(fields, data + 1, n);
    fields[n] = '\0';
    struct j0_fields f;
    j0_fields_parse(fields, &f, invalid, sizeof invalid);

    json_t *root = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (!root)
        return 0;
    bool b64 = data[0] & 1;
    if (data[0] & 2) {
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(root, "submissions"), i, item) parse_one(item, b64);
    } else {
        parse_one(root, b64);
    }
    json_decref(root);
    return 0;
}
