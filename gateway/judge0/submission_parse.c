/* A Judge0 submission body -> a validated job. Rails semantics, not ours: unknown attributes are
 * ignored, numbers may come as strings, every error is collected into {"attr": ["message", ...]}
 * with Rails' own wording, and base64 is decoded leniently (Ruby's decode64 skips what is not in
 * the alphabet). The job is what the native API would accept; its spec keeps the Judge0 attributes
 * that have no native meaning under "judge0", so GET /submissions can show them. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "judge0.h"

/* Ruby's Base64.decode64: characters outside the alphabet are skipped, padding ends the data. */
static char *decode64(const char *s, size_t len, size_t *out_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(len / 4 * 3 + 4);
    if (!out)
        return NULL;
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        const char *p = s[i] ? strchr(alphabet, s[i]) : NULL;
        if (!p)
            continue;
        acc = (acc << 6) | (unsigned)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* A text attribute as Rails' permit + string column see it: strings as they are, numbers and
 * booleans as their text; null, arrays and objects are absent. Returns a malloc'd copy or NULL. */
static char *text_attr(const json_t *v, size_t *len)
{
    char buf[64];
    const char *s = NULL;
    size_t n = 0;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        s = buf;
    } else if (json_is_real(v)) {
        n = (size_t)snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        s = buf;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
        n = strlen(s);
    }
    if (!s)
        return NULL;
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
        *len = n;
    }
    return copy;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; s && i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static void add_error(json_t *errors, const char *attr, const char *msg)
{
    json_t *list = json_object_get(errors, attr);
    if (!list) {
        list = json_array();
        json_object_set_new(errors, attr, list);
    }
    json_array_append_new(list, json_string(msg));
}

enum num_state { NUM_ABSENT, NUM_OK, NUM_NAN };

/* A numeric attribute: a JSON number, or a string Rails' numericality accepts ("3", "0.5").
 * Blank strings and null are absent (the default applies). */
static enum num_state num_attr(const json_t *v, double *out)
{
    if (!v || json_is_null(v))
        return NUM_ABSENT;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return NUM_OK;
    }
    if (!json_is_string(v))
        return json_is_array(v) || json_is_object(v) ? NUM_ABSENT : NUM_NAN;
    const char *s = json_string_value(v);
    if (blank(s, json_string_length(v)))
        return NUM_ABSENT;
    char *end;
    *out = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    return *end || !isfinite(*out) ? NUM_NAN : NUM_OK;
}

/* A numeric attribute with Judge0's bounds; messages as Rails words them. @p lo_incl: ">=" (else
 * ">"); @p is_float: bounds print as floats ("15.0"). */
static double bounded(json_t *errors, const json_t *body, const char *attr, double def, double lo,
                      bool lo_incl, double hi, bool is_float)
{
    double v;
    enum num_state st = num_attr(json_object_get(body, attr), &v);
    if (st == NUM_ABSENT)
        return def;
    char msg[96];
    if (st == NUM_NAN) {
        add_error(errors, attr, "is not a number");
        return def;
    }
    if (lo_incl ? v < lo : v <= lo) {
        snprintf(msg, sizeof msg, "must be greater than %s%g", lo_incl ? "or equal to " : "", lo);
        add_error(errors, attr, msg);
    } else if (v > hi) {
        if (is_float && hi == floor(hi))
            snprintf(msg, sizeof msg, "must be less than or equal to %.1f", hi);
        else
            snprintf(msg, sizeof msg, "must be less than or equal to %g", hi);
        add_error(errors, attr, msg);
    }
    return v;
}

/* ActiveModel's boolean cast: false, 0, "0", "f", "false", "off" (any case) are false, blank is
 * absent, anything else true. */
static bool bool_attr(const json_t *v, bool def)
{
    if (!v || json_is_null(v))
        return def;
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_number(v))
        return json_number_value(v) != 0;
    if (!json_is_string(v))
        return def;
    const char *s = json_string_value(v);
    if (blank(s, json_string_length(v)))
        return def;
    static const char *const falses[] = {"0", "f", "false", "off", NULL};
    for (const char *const *f = falses; *f; f++)
        if (strcasecmp(s, *f) == 0)
            return false;
    return true;
}

/* language_id as Rails' integer cast sees it ("71", 71.0, "71abc" -> 71); -1 when blank. */
static long language_attr(const json_t *v)
{
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_real(v))
        return (long)json_real_value(v);
    if (json_is_string(v) && !blank(json_string_value(v), json_string_length(v)))
        return strtol(json_string_value(v), NULL, 10);
    if (json_is_true(v))
        return 1;
    return -1;
}

/* A text attribute that we do not offer (Judge0's feature switch is off here). */
static void refused(json_t *errors, const json_t *body, const char *attr, const char *msg,
                    size_t max_len)
{
    size_t n = 0;
    char *s = text_attr(json_object_get(body, attr), &n);
    if (s && n > max_len) {
        char m[64];
        snprintf(m, sizeof m, "is too long (maximum is %zu characters)", max_len);
        add_error(errors, attr, m);
    }
    if (s && !blank(s, n))
        add_error(errors, attr, msg);
    free(s);
}

/* A text attribute of the submission: decoded from base64 when asked. *present false for nil. */
static int source_attr(const json_t *body, const char *attr, bool b64, char **out, size_t *len,
                       bool *present)
{
    *out = text_attr(json_object_get(body, attr), len);
    *present = *out != NULL;
    if (!*out) {
        *out = strdup("");
        *len = 0;
        return *out ? 0 : -1;
    }
    if (b64) {
        char *raw = decode64(*out, *len, len);
        free(*out);
        *out = raw;
    }
    return *out ? 0 : -1;
}

static int put_b64(json_t *o, const char *key, const char *data, size_t len)
{
    char *e = jg_base64_encode_alloc((const unsigned char *)data, len);
    if (!e)
        return -1;
    int rc = json_object_set_new(o, key, json_string(e));
    free(e);
    return rc;
}

int j0_submission_parse(const json_t *body, bool b64, const struct gw_config *cfg,
                        const struct gw_catalog *cat, struct gw_job_input *out, json_t **errors,
                        struct gw_problem *p)
{
    struct j0_config c;
    j0_config_of(cfg, &c);
    json_t *err = json_object(), *job = NULL, *attrs = NULL;
    char *source = NULL, *in = NULL, *expected = NULL;
    size_t source_len, in_len, expected_len;
    bool has_source, has_in, has_expected;
    int rc = -1;
    *errors = NULL;
    memset(out, 0, sizeof *out);
    if (!json_is_object(body)) /* Rails would see no attributes at all */
        body = NULL;
    if (!err || source_attr(body, "source_code", b64, &source, &source_len, &has_source) ||
        source_attr(body, "stdin", b64, &in, &in_len, &has_in) ||
        source_attr(body, "expected_output", b64, &expected, &expected_len, &has_expected))
        goto oom;

    /* The validations, in the order Judge0's model declares them. */
    if (blank(source, source_len))
        add_error(err, "source_code", "can't be blank");
    long lang_id = language_attr(json_object_get(body, "language_id"));
    if (lang_id < 0)
        add_error(err, "language_id", "can't be blank");
    double runs = bounded(err, body, "number_of_runs", (double)c.number_of_runs, 0, false,
                          (double)c.max_number_of_runs, false);
    double cpu = bounded(err, body, "cpu_time_limit", c.cpu_time_limit, 0, true,
                         c.max_cpu_time_limit, true);
    double extra = bounded(err, body, "cpu_extra_time", c.cpu_extra_time, 0, true,
                           c.max_cpu_extra_time, true);
    double wall = bounded(err, body, "wall_time_limit", c.wall_time_limit, 1, true,
                          c.max_wall_time_limit, true);
    double mem = bounded(err, body, "memory_limit", (double)c.memory_limit, 2048, true,
                         (double)c.max_memory_limit, false);
    double stack = bounded(err, body, "stack_limit", (double)c.stack_limit, 0, true,
                           (double)c.max_stack_limit, false);
    double procs = bounded(err, body, "max_processes_and_or_threads", (double)c.max_processes, 0,
                           false, (double)c.max_max_processes, false);
    bool per_time = bool_attr(json_object_get(body, "enable_per_process_and_thread_time_limit"),
                              false);
    bool per_mem = bool_attr(json_object_get(body, "enable_per_process_and_thread_memory_limit"),
                             false);
    double fsize = bounded(err, body, "max_file_size", (double)c.max_file_size, 0, true,
                           (double)c.max_max_file_size, false);
    const struct j0_language *lang = lang_id >= 0 ? j0_language_by_id(lang_id) : NULL;
    if (lang_id >= 0 && !lang) {
        char m[96];
        snprintf(m, sizeof m, "language with id %ld doesn't exist", lang_id);
        add_error(err, "language_id", m);
    }
    refused(err, body, "compiler_options", "setting compiler options is not allowed", 512);
    refused(err, body, "command_line_arguments", "setting command line arguments is not allowed",
            512);
    refused(err, body, "callback_url", "setting callback is not allowed", (size_t)-1);
    refused(err, body, "additional_files", "setting additional files is not allowed", (size_t)-1);
    bool redirect = bool_attr(json_object_get(body, "redirect_stderr_to_stdout"), false);
    if (bool_attr(json_object_get(body, "enable_network"), false))
        add_error(err, "enable_network", "enabling network is not allowed");
    if (json_object_size(err) > 0) {
        *errors = err;
        err = NULL;
        rc = 1;
        goto out;
    }

    /* The job. cpu_time_limit 0 is "no CPU limit" for isolate: the wall limit bounds it. */
    long wall_ms = (long)ceil(wall * 1000);
    long cpu_ms = cpu > 0 ? (long)ceil(cpu * 1000) : wall_ms;
    long mem_mb = (long)ceil(mem / 1024);
    long out_kb = fsize >= 1 ? (long)fsize : 1;
    job = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}}", "runtime", lang->runtime, "kind",
                    "program", "limits", "cpu_ms", (json_int_t)cpu_ms, "wall_ms",
                    (json_int_t)wall_ms, "memory_mb", (json_int_t)mem_mb, "output_kb",
                    (json_int_t)out_kb, "processes", (json_int_t)procs);
    if (!job || put_b64(job, "code", source, source_len) || put_b64(job, "stdin", in, in_len) ||
        (has_expected && put_b64(job, "expected", expected, expected_len)))
        goto oom;
    struct gw_problem jp;
    if (gw_job_parse(job, cfg, cat, "", out, &jp)) {
        if (jp.status >= 500) {
            *p = jp;
            goto out;
        }
        /* A gateway cap below Judge0's own (e.g. --max-memory-mb): name it Judge0's way. */
        *errors = json_pack("{s:[s]}", jp.field[0] ? jp.field : "source_code", jp.detail);
        rc = *errors ? 1 : -1;
        goto out;
    }
    /* The attributes jobs have no use for, shown back by GET /submissions. */
    attrs = json_pack("{s:i, s:f, s:f, s:f, s:I, s:I, s:I, s:b, s:b, s:I, s:I, s:b, s:b, s:b}",
                      "language_id", lang->id, "cpu_time_limit", cpu, "cpu_extra_time", extra,
                      "wall_time_limit", wall, "memory_limit", (json_int_t)mem, "stack_limit",
                      (json_int_t)stack, "max_processes_and_or_threads", (json_int_t)procs,
                      "enable_per_process_and_thread_time_limit", per_time,
                      "enable_per_process_and_thread_memory_limit", per_mem, "max_file_size",
                      (json_int_t)fsize, "number_of_runs", (json_int_t)runs,
                      "redirect_stderr_to_stdout", redirect, "stdin_given", has_in,
                      "source_given", has_source);
    json_t *spec = attrs ? json_loads(out->spec_text, 0, NULL) : NULL;
    char *text = NULL;
    if (spec && json_object_set(spec, "judge0", attrs) == 0)
        text = json_dumps(spec, JSON_COMPACT);
    json_decref(spec);
    if (!text) {
        gw_job_input_free(out);
        goto oom;
    }
    free(out->spec_text);
    out->spec_text = text;
    rc = 0;
    goto out;
oom:
    gw_fail(p, 503, "unavailable", "Service unavailable", "", "out of memory");
    rc = -1;
out:
    json_decref(err);
    json_decref(job);
    json_decref(attrs);
    free(source);
    free(in);
    free(expected);
    return rc;
}
