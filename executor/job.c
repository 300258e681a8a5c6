/* Parsing a leased job and mapping its limits onto a sandbox run. */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

unsigned char *ex_b64_field(const json_t *obj, const char *key, size_t *len)
{
    const json_t *v = json_object_get(obj, key);
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    size_t slen = json_is_string(v) ? json_string_length(v) : 0, bad;
    unsigned char *out = malloc(jg_base64_decoded_max(slen) + 1);
    if (!out)
        return NULL;
    long n = jg_base64_decode(s, slen, out, &bad);
    if (n < 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *len = (size_t)n;
    return out;
}

static int copy_str(const json_t *obj, const char *key, char *dst, size_t size)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= size)
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int ex_job_parse(const json_t *j, struct ex_job *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (copy_str(j, "id", out->id, sizeof out->id) || copy_str(j, "lease", out->lease, sizeof out->lease)) {
        snprintf(err, errlen, "job without id or lease");
        return -1;
    }
    out->attempt = (long)json_integer_value(json_object_get(j, "attempt"));
    const json_t *spec = json_object_get(j, "spec");
    if (!json_is_object(spec)) {
        snprintf(err, errlen, "job without spec");
        return -1;
    }
    if (copy_str(j, "runtime", out->runtime, sizeof out->runtime) &&
        copy_str(spec, "runtime", out->runtime, sizeof out->runtime)) {
        snprintf(err, errlen, "job without runtime");
        return -1;
    }
    const json_t *kind = json_object_get(spec, "kind");
    const char *k = json_is_string(kind) ? json_string_value(kind) : "";
    out->kind = strcmp(k, "call") == 0       ? EX_KIND_CALL
                : strcmp(k, "function") == 0 ? EX_KIND_FUNCTION
                : strcmp(k, "program") == 0  ? EX_KIND_PROGRAM
                                             : 0;
    if (!out->kind) {
        snprintf(err, errlen, "unknown kind '%.32s'", k);
        return -1;
    }
    const json_t *lim = json_object_get(spec, "limits");
    long *f[] = {&out->limits.cpu_ms, &out->limits.wall_ms, &out->limits.memory_mb,
                 &out->limits.output_kb, &out->limits.processes};
    static const char *const names[] = {"cpu_ms", "wall_ms", "memory_mb", "output_kb", "processes"};
    for (int i = 0; i < 5; i++) {
        const json_t *v = json_object_get(lim, names[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 1) {
            snprintf(err, errlen, "limits.%s missing or not a positive integer", names[i]);
            return -1;
        }
        *f[i] = (long)json_integer_value(v);
    }
    out->code = ex_b64_field(spec, "code", &out->code_len);
    if (!out->code) {
        snprintf(err, errlen, "code is not valid base64");
        return -1;
    }
    out->spec = json_incref((json_t *)spec);
    const json_t *labels = json_object_get(j, "labels");
    out->labels = json_is_object(labels) ? json_incref((json_t *)labels) : json_object();
    return 0;
}

enum sbx_network ex_job_network(const struct ex_job *job, const struct ex_config *cfg)
{
    if (ex_config_list_has(cfg->allow_network_runtimes, job->runtime))
        return SBX_NETWORK_HOST;
    if (!cfg->allow_network_labels[0])
        return SBX_NETWORK_NONE;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)job->labels, key, value)
    {
        char label[sizeof cfg->allow_network_labels];
        if (json_is_string(value) &&
            snprintf(label, sizeof label, "%s=%s", key, json_string_value(value)) < (int)sizeof label &&
            ex_config_list_has(cfg->allow_network_labels, label))
            return SBX_NETWORK_HOST;
    }
    return SBX_NETWORK_NONE;
}

void ex_job_free(struct ex_job *job)
{
    free(job->code);
    json_decref(job->spec);
    json_decref(job->labels);
    job->code = NULL;
    job->spec = NULL;
    job->labels = NULL;
}

void ex_job_run_limits(const struct ex_limits *lim, struct sbx_limits *out)
{
    memset(out, 0, sizeof *out);
    out->cpu_ms = (uint64_t)lim->cpu_ms;
    out->wall_ms = (uint64_t)lim->wall_ms;
    out->memory_kb = (uint64_t)lim->memory_mb * 1024;
    out->output_bytes = (uint64_t)lim->output_kb * 1024;
    out->stderr_bytes = out->output_bytes;
    uint64_t fsize = out->output_bytes;
    out->file_size_bytes = fsize < (1u << 20) ? (1u << 20) : fsize;
    out->processes = (uint32_t)lim->processes;
    sbx_limits_default(out);
}
