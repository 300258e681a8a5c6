/* A job as a Judge0 submission: the status mapping (our verdicts onto Judge0's 14 statuses), the
 * attributes Judge0 serializes (with its types: time as a decimal string, memory in KB, null for
 * empty output), ?fields= and base64 in Ruby's encode64 layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "jobs/job_json.h"
#include "judge0.h"
#include "utf8.h"

/* Every attribute ?fields= may name, in Judge0's serializer order. */
enum field {
    F_SOURCE_CODE, F_LANGUAGE_ID, F_STDIN, F_EXPECTED_OUTPUT, F_STDOUT, F_STATUS_ID, F_CREATED_AT,
    F_FINISHED_AT, F_TIME, F_MEMORY, F_STDERR, F_TOKEN, F_NUMBER_OF_RUNS, F_CPU_TIME_LIMIT,
    F_CPU_EXTRA_TIME, F_WALL_TIME_LIMIT, F_MEMORY_LIMIT, F_STACK_LIMIT, F_MAX_PROCESSES,
    F_PER_PROCESS_TIME, F_PER_PROCESS_MEMORY, F_MAX_FILE_SIZE, F_COMPILE_OUTPUT, F_EXIT_CODE,
    F_EXIT_SIGNAL, F_MESSAGE, F_WALL_TIME, F_COMPILER_OPTIONS, F_COMMAND_LINE_ARGUMENTS,
    F_REDIRECT_STDERR, F_CALLBACK_URL, F_ADDITIONAL_FILES, F_ENABLE_NETWORK, F_STATUS, F_LANGUAGE,
    NFIELDS
};

static const char *const names[NFIELDS] = {
    "source_code", "language_id", "stdin", "expected_output", "stdout", "status_id",
    "created_at", "finished_at", "time", "memory", "stderr", "token", "number_of_runs",
    "cpu_time_limit", "cpu_extra_time", "wall_time_limit", "memory_limit", "stack_limit",
    "max_processes_and_or_threads", "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code",
    "exit_signal", "message", "wall_time", "compiler_options", "command_line_arguments",
    "redirect_stderr_to_stdout", "callback_url", "additional_files", "enable_network", "status",
    "language",
};

#define BIT(f) (1ULL << (f))
/* Attributes read from the job's spec (its source, input and Judge0 attributes). */
#define SPEC_FIELDS                                                                              \
    (BIT(F_SOURCE_CODE) | BIT(F_STDIN) | BIT(F_EXPECTED_OUTPUT) | BIT(F_NUMBER_OF_RUNS) |        \
     BIT(F_CPU_TIME_LIMIT) | BIT(F_CPU_EXTRA_TIME) | BIT(F_WALL_TIME_LIMIT) |                   \
     BIT(F_MEMORY_LIMIT) | BIT(F_STACK_LIMIT) | BIT(F_MAX_PROCESSES) | BIT(F_PER_PROCESS_TIME) | \
     BIT(F_PER_PROCESS_MEMORY) | BIT(F_MAX_FILE_SIZE) | BIT(F_REDIRECT_STDERR) |                \
     BIT(F_STDOUT) | BIT(F_STDERR))

static void finish(struct j0_fields *f)
{
    f->needs_spec = (f->mask & SPEC_FIELDS) != 0;
}

void j0_fields_default(struct j0_fields *out)
{
    out->mask = BIT(F_TOKEN) | BIT(F_TIME) | BIT(F_MEMORY) | BIT(F_STDOUT) | BIT(F_STDERR) |
                BIT(F_COMPILE_OUTPUT) | BIT(F_MESSAGE) | BIT(F_STATUS);
    finish(out);
}

int j0_fields_parse(const char *fields, struct j0_fields *out, char *invalid, size_t len)
{
    out->mask = 0;
    invalid[0] = '\0';
    if (!fields || !*fields) {
        j0_fields_default(out);
        return 0;
    }
    size_t used = 0;
    for (const char *p = fields; *p;) {
        size_t n = strcspn(p, ",");
        int i = 0;
        if (n == 1 && *p == '*')
            out->mask |= ~BIT(F_STATUS_ID) & ~BIT(F_LANGUAGE_ID) & (BIT(NFIELDS) - 1);
        else {
            while (i < NFIELDS && !(strlen(names[i]) == n && strncmp(names[i], p, n) == 0))
                i++;
            if (i < NFIELDS)
                out->mask |= BIT(i);
            else if (n > 0 && used < len)
                used += (size_t)snprintf(invalid + used, len - used, "%s%.*s",
                                         used ? ", " : "", (int)(n > 64 ? 64 : n), p);
        }
        p += n + (p[n] == ',');
    }
    if (!out->mask && !used) /* "fields=," names nothing: the defaults, as Judge0's presence */
        j0_fields_default(out);
    finish(out);
    return used ? -1 : 0;
}

/* --- the status mapping ---------------------------------------------------------------------- */

static int signal_status(long sig)
{
    switch (sig) {
    case 11:
        return 7;
    case 25:
        return 8;
    case 8:
        return 9;
    case 6:
        return 10;
    default:
        return 12;
    }
}

/* Judge0 status of a job: from its state, verdict and outcome document. */
static int status_of(const char *state, const char *verdict, const json_t *result)
{
    if (strcmp(state, "queued") == 0)
        return 1;
    if (strcmp(state, "running") == 0)
        return 2;
    if (strcmp(state, "completed") != 0 || !verdict)
        return 13; /* failed or cancelled: Judge0's "Internal Error" */
    const json_t *sig = json_object_get(result, "signal");
    if (strcmp(verdict, "OK") == 0)
        return 3;
    if (strcmp(verdict, "WA") == 0 || strcmp(verdict, "PE") == 0)
        return 4;
    if (strcmp(verdict, "TLE") == 0)
        return 5;
    if (strcmp(verdict, "CE") == 0)
        return 6;
    if (strcmp(verdict, "OLE") == 0) /* Judge0 stops output with RLIMIT_FSIZE: SIGXFSZ */
        return 8;
    if (strcmp(verdict, "RE") == 0)
        return json_is_integer(sig) ? signal_status((long)json_integer_value(sig)) : 11;
    return 12; /* MLE (Judge0 has no such status: a cgroup kill), SYS, EXC */
}

int j0_status_of_row(const PGresult *r, int row)
{
    json_t *res = PQgetisnull(r, row, J0C_RESULT)
                      ? NULL
                      : json_loads(PQgetvalue(r, row, J0C_RESULT), 0, NULL);
    int s = status_of(PQgetvalue(r, row, J0C_STATUS),
                      PQgetisnull(r, row, J0C_VERDICT) ? NULL : PQgetvalue(r, row, J0C_VERDICT),
                      res);
    json_decref(res);
    return s;
}

/* isolate's words for how a run ended (Judge0 passes its meta "message" on). */
static json_t *message_of(int status, const char *verdict, const json_t *result)
{
    const json_t *err = json_object_get(result, "error");
    const json_t *code = json_object_get(result, "exit_code");
    const json_t *sig = json_object_get(result, "signal");
    char m[600];
    if (status == 13) {
        const char *type = json_string_value(json_object_get(err, "type"));
        const char *msg = json_string_value(json_object_get(err, "message"));
        snprintf(m, sizeof m, "%s%s%s", type ? type : "cancelled", msg ? ": " : "",
                 msg ? msg : "");
        return json_string(m);
    }
    if (!verdict || strcmp(verdict, "OK") == 0 || strcmp(verdict, "WA") == 0 ||
        strcmp(verdict, "PE") == 0 || strcmp(verdict, "CE") == 0)
        return json_null();
    if (strcmp(verdict, "TLE") == 0)
        return json_string("Time limit exceeded");
    if (strcmp(verdict, "MLE") == 0)
        return json_string("Memory limit exceeded");
    if (strcmp(verdict, "OLE") == 0)
        return json_string("Output limit exceeded");
    if (strcmp(verdict, "SYS") == 0)
        return json_string("Forbidden system call");
    if (json_is_integer(sig)) {
        snprintf(m, sizeof m, "Caught fatal signal %lld", (long long)json_integer_value(sig));
        return json_string(m);
    }
    if (json_is_integer(code)) {
        snprintf(m, sizeof m, "Exited with error status %lld", (long long)json_integer_value(code));
        return json_string(m);
    }
    return json_null();
}

/* --- attributes ------------------------------------------------------------------------------- */

/* Ruby's Base64.encode64: lines of 60 characters, each ending in "\n". */
static char *encode64(const char *data, size_t len)
{
    char *flat = jg_base64_encode_alloc((const unsigned char *)data, len);
    if (!flat)
        return NULL;
    size_t n = strlen(flat), lines = (n + 59) / 60;
    char *out = malloc(n + lines + 1);
    if (out) {
        size_t o = 0;
        for (size_t i = 0; i < n; i += 60) {
            size_t k = n - i < 60 ? n - i : 60;
            memcpy(out + o, flat + i, k);
            o += k;
            out[o++] = '\n';
        }
        out[o] = '\0';
    }
    free(flat);
    return out;
}

/* A text attribute: null when absent, else the bytes as a string (UTF-8 only) or base64. */
static int set_text(json_t *o, const char *key, const char *data, size_t len, bool present,
                    bool b64, bool *not_utf8)
{
    if (!present)
        return json_object_set_new(o, key, json_null());
    if (b64) {
        char *e = encode64(data, len);
        int rc = e ? json_object_set_new(o, key, json_string(e)) : -1;
        free(e);
        return rc;
    }
    if (!jg_utf8_valid(data, len) || memchr(data, '\0', len)) {
        *not_utf8 = true;
        return -1;
    }
    return json_object_set_new(o, key, json_stringn(data, len));
}

/* Decoded base64 field @p key of @p obj: *present is false when absent (or empty with
 * @p empty_is_null, Judge0's nil for a program that printed nothing). */
static char *b64_field(const json_t *obj, const char *key, bool empty_is_null, size_t *len,
                       bool *present)
{
    const json_t *v = json_object_get(obj, key);
    *present = false;
    *len = 0;
    if (!json_is_string(v))
        return NULL;
    size_t bad;
    char *out = malloc(jg_base64_decoded_max(json_string_length(v)) + 1);
    long n = out ? jg_base64_decode(json_string_value(v), json_string_length(v),
                                    (unsigned char *)out, &bad)
                 : -1;
    if (n < 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *len = (size_t)n;
    *present = !(empty_is_null && n == 0);
    return out;
}

/* Judge0 timestamps: ActiveSupport's JSON, milliseconds and Z. */
static json_t *timestamp(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    char iso[48], out[32];
    gw_timestamp_iso(PQgetvalue(r, row, col), iso, sizeof iso);
    /* "2026-11-21T18:22:28.29412Z" -> "2026-11-21T18:22:28.294Z" */
    char frac[4] = "000";
    const char *dot = strchr(iso, '.');
    for (int i = 0; dot && i < 3 && dot[1 + i] >= '0' && dot[1 + i] <= '9'; i++)
        frac[i] = dot[1 + i];
    snprintf(out, sizeof out, "%.19s.%sZ", iso, frac);
    return json_string(out);
}

/* A decimal column as Rails serializes it: a string ("0.004"). */
static json_t *seconds(const json_t *usage, const char *key)
{
    const json_t *v = json_object_get(usage, key);
    if (!json_is_integer(v))
        return json_null();
    char s[32];
    snprintf(s, sizeof s, "%.3f", (double)json_integer_value(v) / 1000.0);
    return json_string(s);
}

static json_t *decimal(double v)
{
    char s[32];
    snprintf(s, sizeof s, "%.1f", v);
    if (v != (double)(long long)v)
        snprintf(s, sizeof s, "%g", v);
    return json_string(s);
}

/* A Judge0 attribute of the job, from its "judge0" attributes or, for jobs submitted natively,
 * from its limits. */
static json_t *attr_or(const json_t *attrs, const char *key, json_t *fallback)
{
    const json_t *v = json_object_get(attrs, key);
    if (!v)
        return fallback;
    json_decref(fallback);
    return json_incref((json_t *)v);
}

json_t *j0_submission_json(const PGresult *r, int row, const struct j0_fields *f, bool b64,
                           bool *not_utf8)
{
    unsigned long long m = f->mask;
    *not_utf8 = false;
    json_t *result = PQgetisnull(r, row, J0C_RESULT)
                         ? json_object()
                         : json_loads(PQgetvalue(r, row, J0C_RESULT), 0, NULL);
    json_t *spec = PQgetisnull(r, row, J0C_SPEC)
                       ? json_object()
                       : json_loads(PQgetvalue(r, row, J0C_SPEC), 0, NULL);
    json_t *o = json_object();
    char *out = NULL, *err = NULL, *co = NULL, *src = NULL, *in = NULL, *exp = NULL;
    if (!o || !json_is_object(result) || !json_is_object(spec))
        goto fail;
    const char *state = PQgetvalue(r, row, J0C_STATUS);
    const char *verdict = PQgetisnull(r, row, J0C_VERDICT) ? NULL : PQgetvalue(r, row, J0C_VERDICT);
    int status = status_of(state, verdict, result);
    bool finished = status > 2;
    const json_t *attrs = json_object_get(spec, "judge0");
    const json_t *limits = json_object_get(spec, "limits");
    const json_t *usage = json_object_get(result, "usage");
    const struct j0_language *lang = j0_language_by_runtime(PQgetvalue(r, row, J0C_RUNTIME));
    int rc = 0;

    size_t out_len, err_len, co_len, src_len, in_len, exp_len;
    bool has_out, has_err, has_co, has_src, has_in, has_exp;
    out = b64_field(result, "stdout", true, &out_len, &has_out);
    err = b64_field(result, "stderr", true, &err_len, &has_err);
    co = b64_field(result, "compile_output", true, &co_len, &has_co);
    if (json_is_true(json_object_get(attrs, "redirect_stderr_to_stdout")) && has_err) {
        /* Our runs keep the streams apart: stderr follows stdout (README: differences). */
        char *both = realloc(out, out_len + err_len + 1);
        if (!both)
            goto fail;
        memcpy(both + out_len, err, err_len);
        both[out_len + err_len] = '\0';
        out = both;
        out_len += err_len;
        has_out = true;
        has_err = false;
    }

    if (m & BIT(F_TOKEN))
        rc |= json_object_set_new(o, "token", json_string(PQgetvalue(r, row, J0C_ID)));
    if (m & BIT(F_TIME))
        rc |= json_object_set_new(o, "time", finished ? seconds(usage, "cpu_ms") : json_null());
    if (m & BIT(F_WALL_TIME))
        rc |= json_object_set_new(o, "wall_time",
                                  finished ? seconds(usage, "wall_ms") : json_null());
    if (m & BIT(F_MEMORY)) {
        const json_t *kb = json_object_get(usage, "memory_kb");
        rc |= json_object_set_new(o, "memory", finished && json_is_integer(kb)
                                                   ? json_integer(json_integer_value(kb))
                                                   : json_null());
    }
    if ((m & BIT(F_STDOUT)) && set_text(o, "stdout", out, out_len, has_out, b64, not_utf8))
        goto fail;
    if ((m & BIT(F_STDERR)) && set_text(o, "stderr", err, err_len, has_err, b64, not_utf8))
        goto fail;
    if ((m & BIT(F_COMPILE_OUTPUT)) &&
        set_text(o, "compile_output", co, co_len, has_co, b64, not_utf8))
        goto fail;
    if (m & BIT(F_MESSAGE)) {
        json_t *msg = finished ? message_of(status, verdict, result) : json_null();
        if (b64 && json_is_string(msg)) {
            char *e = encode64(json_string_value(msg), json_string_length(msg));
            json_decref(msg);
            msg = e ? json_string(e) : NULL;
            free(e);
        }
        rc |= json_object_set_new(o, "message", msg);
    }
    if (m & BIT(F_STATUS))
        rc |= json_object_set_new(o, "status", json_pack("{s:i, s:s}", "id", status,
                                                         "description", j0_status_name(status)));
    if (m & BIT(F_STATUS_ID))
        rc |= json_object_set_new(o, "status_id", json_integer(status));
    if (m & BIT(F_LANGUAGE_ID))
        rc |= json_object_set_new(o, "language_id", lang ? json_integer(lang->id) : json_null());
    if (m & BIT(F_LANGUAGE))
        rc |= json_object_set_new(o, "language", lang ? json_pack("{s:i, s:s}", "id", lang->id,
                                                                  "name", lang->name)
                                                      : json_null());
    if (m & BIT(F_CREATED_AT))
        rc |= json_object_set_new(o, "created_at", timestamp(r, row, J0C_CREATED));
    if (m & BIT(F_FINISHED_AT))
        rc |= json_object_set_new(o, "finished_at", timestamp(r, row, J0C_FINISHED));
    if (m & BIT(F_EXIT_CODE)) {
        const json_t *c = json_object_get(result, "exit_code");
        /* isolate writes no exit code for a killed program, and Judge0 reads that as 0. */
        rc |= json_object_set_new(o, "exit_code",
                                  !finished || status == 6 || status == 13 ? json_null()
                                  : json_is_integer(c) ? json_integer(json_integer_value(c))
                                                       : json_integer(0));
    }
    if (m & BIT(F_EXIT_SIGNAL)) {
        const json_t *s = json_object_get(result, "signal");
        rc |= json_object_set_new(o, "exit_signal", json_is_integer(s)
                                                        ? json_integer(json_integer_value(s))
                                                        : json_null());
    }
    if (m & (BIT(F_SOURCE_CODE) | BIT(F_STDIN) | BIT(F_EXPECTED_OUTPUT))) {
        src = b64_field(spec, "code", false, &src_len, &has_src);
        in = b64_field(spec, "stdin", false, &in_len, &has_in);
        exp = b64_field(spec, "expected", false, &exp_len, &has_exp);
        if (attrs && json_is_false(json_object_get(attrs, "stdin_given")))
            has_in = false;
        if (((m & BIT(F_SOURCE_CODE)) &&
             set_text(o, "source_code", src, src_len, has_src, b64, not_utf8)) ||
            ((m & BIT(F_STDIN)) && set_text(o, "stdin", in, in_len, has_in, b64, not_utf8)) ||
            ((m & BIT(F_EXPECTED_OUTPUT)) &&
             set_text(o, "expected_output", exp, exp_len, has_exp, b64, not_utf8)))
            goto fail;
    }
    double cpu_s = (double)json_integer_value(json_object_get(limits, "cpu_ms")) / 1000.0;
    double wall_s = (double)json_integer_value(json_object_get(limits, "wall_ms")) / 1000.0;
    json_int_t mem_kb = json_integer_value(json_object_get(limits, "memory_mb")) * 1024;
    if (m & BIT(F_CPU_TIME_LIMIT)) {
        const json_t *v = json_object_get(attrs, "cpu_time_limit");
        rc |= json_object_set_new(o, "cpu_time_limit",
                                  decimal(v ? json_number_value(v) : cpu_s));
    }
    if (m & BIT(F_CPU_EXTRA_TIME)) {
        const json_t *v = json_object_get(attrs, "cpu_extra_time");
        rc |= json_object_set_new(o, "cpu_extra_time", decimal(v ? json_number_value(v) : 0));
    }
    if (m & BIT(F_WALL_TIME_LIMIT)) {
        const json_t *v = json_object_get(attrs, "wall_time_limit");
        rc |= json_object_set_new(o, "wall_time_limit",
                                  decimal(v ? json_number_value(v) : wall_s));
    }
    if (m & BIT(F_MEMORY_LIMIT))
        rc |= json_object_set_new(o, "memory_limit",
                                  attr_or(attrs, "memory_limit", json_integer(mem_kb)));
    if (m & BIT(F_STACK_LIMIT))
        rc |= json_object_set_new(o, "stack_limit",
                                  attr_or(attrs, "stack_limit", json_integer(mem_kb)));
    if (m & BIT(F_MAX_PROCESSES))
        rc |= json_object_set_new(
            o, "max_processes_and_or_threads",
            attr_or(attrs, "max_processes_and_or_threads",
                    json_integer(json_integer_value(json_object_get(limits, "processes")))));
    if (m & BIT(F_PER_PROCESS_TIME))
        rc |= json_object_set_new(o, "enable_per_process_and_thread_time_limit",
                                  attr_or(attrs, "enable_per_process_and_thread_time_limit",
                                          json_false()));
    if (m & BIT(F_PER_PROCESS_MEMORY))
        rc |= json_object_set_new(o, "enable_per_process_and_thread_memory_limit",
                                  attr_or(attrs, "enable_per_process_and_thread_memory_limit",
                                          json_false()));
    if (m & BIT(F_MAX_FILE_SIZE))
        rc |= json_object_set_new(
            o, "max_file_size",
            attr_or(attrs, "max_file_size",
                    json_integer(json_integer_value(json_object_get(limits, "output_kb")))));
    if (m & BIT(F_NUMBER_OF_RUNS))
        rc |= json_object_set_new(o, "number_of_runs",
                                  attr_or(attrs, "number_of_runs", json_integer(1)));
    if (m & BIT(F_REDIRECT_STDERR))
        rc |= json_object_set_new(o, "redirect_stderr_to_stdout",
                                  attr_or(attrs, "redirect_stderr_to_stdout", json_false()));
    static const enum field nulls[] = {F_COMPILER_OPTIONS, F_COMMAND_LINE_ARGUMENTS,
                                       F_CALLBACK_URL, F_ADDITIONAL_FILES};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        if (m & BIT(nulls[i]))
            rc |= json_object_set_new(o, names[nulls[i]], json_null());
    if (m & BIT(F_ENABLE_NETWORK))
        rc |= json_object_set_new(o, "enable_network", json_false());
    if (rc)
        goto fail;
    goto out;
fail:
    json_decref(o);
    o = NULL;
out:
    json_decref(result);
    json_decref(spec);
    free(out);
    free(err);
    free(co);
    free(src);
    free(in);
    free(exp);
    return o;
}
