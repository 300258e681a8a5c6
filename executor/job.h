/* One leased job: what the gateway sent, decoded into what the runtimes need. */
#ifndef EX_JOB_H
#define EX_JOB_H

#include <jansson.h>
#include <stddef.h>

#include "config.h"
#include "sandbox.h"

enum ex_kind { EX_KIND_CALL = 1, EX_KIND_FUNCTION, EX_KIND_PROGRAM };

/* The job's limits as the gateway sent them (already capped by the server's configuration). */
struct ex_limits {
    long cpu_ms, wall_ms, memory_mb, output_kb, processes;
};

struct ex_job {
    char id[37];
    char lease[37];
    long attempt;
    char runtime[32];
    enum ex_kind kind;
    struct ex_limits limits;
    unsigned char *code; /* decoded source or pickle (owned); untrusted: only ever handed to a box */
    size_t code_len;
    json_t *spec;        /* the whole spec (owned reference): args, kwargs, tests, checker... */
    json_t *labels;      /* the job's labels (owned reference; an empty object when the gateway sent none) */
};

/* Parse one entry of a lease answer's "jobs". On success @p out owns its code and a spec reference;
 * on failure err says why and out is left empty. id and lease are filled as far as they were read,
 * so a malformed job can still be reported. */
int ex_job_parse(const json_t *j, struct ex_job *out, char *err, size_t errlen);
void ex_job_free(struct ex_job *job);

/* The network the job's runs get: SBX_NETWORK_HOST when its runtime is in --allow-network-runtimes or
 * one of its labels is in --allow-network-labels, else SBX_NETWORK_NONE (the default for every job). */
enum sbx_network ex_job_network(const struct ex_job *job, const struct ex_config *cfg);

/* Sandbox limits of a job's run: cpu/wall/memory/processes from the job, stdout and stderr capped at
 * output_kb each, files written capped at output_kb too (at least 1 MiB so compilers and harnesses
 * can write their own files). */
void ex_job_run_limits(const struct ex_limits *lim, struct sbx_limits *out);

/* Decode the base64 string at spec[key] (absent: empty). Returns the malloc'd bytes (NUL-terminated,
 * len excludes it) or NULL on invalid base64 / no memory. */
unsigned char *ex_b64_field(const json_t *obj, const char *key, size_t *len);

#endif
