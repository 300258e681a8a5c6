#include "job_spec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "json_write.h"

#define INVALID 422, "invalid-field", "Invalid field"

/* Where in the request a problem is: prefix + name (+ optional index and sub-field). */
struct ctx {
    const char *prefix;
    const struct gw_config *cfg;
    const struct gw_catalog *cat;
    struct gw_problem *p;
};

static const char *path(const struct ctx *c, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static const char *path(const struct ctx *c, char *buf, size_t len, const char *fmt, ...)
{
    int n = snprintf(buf, len, "%s", c->prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, len - (size_t)n, fmt, ap);
    va_end(ap);
    return buf;
}

/* "<field> <message>", e.g. "code is required". */
static int fail_field(const struct ctx *c, const char *name, const char *message)
{
    char f[160];
    path(c, f, sizeof f, "%s", name);
    return gw_fail(c->p, INVALID, f, "%s %s", f, message);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

static int wrong_type(const struct ctx *c, const char *field, const char *expected, const json_t *v)
{
    char f[160];
    path(c, f, sizeof f, "%s", field);
    return gw_fail(c->p, INVALID, f, "%s must be %s, not %s", f, expected, type_name(v));
}

/* A base64 string field; empty allowed only when @p allow_empty. */
static int check_base64(const struct ctx *c, const char *field, const json_t *v, bool allow_empty)
{
    if (!json_is_string(v))
        return wrong_type(c, field, "a base64 string", v);
    size_t bad;
    long n = jg_base64_validate(json_string_value(v), json_string_length(v), &bad);
    char f[160];
    path(c, f, sizeof f, "%s", field);
    if (n < 0)
        return gw_fail(c->p, INVALID, f,
                       "%s is not valid base64 (RFC 4648, padded): bad character or padding at "
                       "offset %zu",
                       f, bad);
    if (n == 0 && !allow_empty)
        return gw_fail(c->p, INVALID, f, "%s must not be empty", f);
    return 0;
}

static int check_int(const struct ctx *c, const char *field, const json_t *v, long lo, long hi,
                     long *out)
{
    if (!json_is_integer(v))
        return wrong_type(c, field, "an integer", v);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi) {
        char f[160];
        path(c, f, sizeof f, "%s", field);
        return gw_fail(c->p, INVALID, f, "%s must be from %ld to %ld (got %lld)", f, lo, hi,
                       (long long)x);
    }
    *out = (long)x;
    return 0;
}

static bool is_identifier(const char *s)
{
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static const char *const limit_names[] = {"cpu_ms", "wall_ms", "memory_mb", "output_kb",
                                          "processes"};

/* The effective limits: the server's defaults, then a stored problem's (@p base, may be NULL;
 * capped by the server's maximum), then the job's own. */
static int parse_limits(const struct ctx *c, const json_t *v, const json_t *base,
                        struct gw_limits *out)
{
    const char *const *names = limit_names;
    *out = c->cfg->limits_default;
    for (int i = 0; base && i < 5; i++) {
        const json_t *b = json_object_get(base, names[i]);
        long cap = (&c->cfg->limits_max.cpu_ms)[i];
        if (json_is_integer(b) && json_integer_value(b) >= 1)
            (&out->cpu_ms)[i] = json_integer_value(b) > cap ? cap : (long)json_integer_value(b);
    }
    if (!v)
        return 0;
    if (!json_is_object(v))
        return wrong_type(c, "limits", "an object", v);
    long *dst = &out->cpu_ms;
    const long *max = &c->cfg->limits_max.cpu_ms;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        int i = 0;
        while (i < 5 && strcmp(key, names[i]) != 0)
            i++;
        char f[96];
        snprintf(f, sizeof f, "limits.%s", key);
        if (i == 5) {
            char full[160];
            path(c, full, sizeof full, "%s", f);
            return gw_fail(c->p, INVALID, full,
                           "unknown limit %s (known: cpu_ms, wall_ms, memory_mb, output_kb, "
                           "processes)",
                           full);
        }
        if (check_int(c, f, val, 1, max[i], &dst[i]))
            return -1;
    }
    return 0;
}

static int parse_labels(const struct ctx *c, const json_t *v)
{
    if (!v)
        return 0;
    if (!json_is_object(v))
        return wrong_type(c, "labels", "an object of strings", v);
    if ((long)json_object_size(v) > c->cfg->max_labels) {
        char f[160];
        path(c, f, sizeof f, "labels");
        return gw_fail(c->p, INVALID, f, "%s has more than %ld entries", f, c->cfg->max_labels);
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        char f[160];
        path(c, f, sizeof f, "labels.%.60s", key);
        size_t kl = strlen(key);
        bool ok = kl >= 1 && kl <= 63;
        for (size_t i = 0; ok && i < kl; i++)
            ok = isalnum((unsigned char)key[i]) || strchr("._-/", key[i]);
        if (!ok)
            return gw_fail(c->p, INVALID, f,
                           "label names are 1 to 63 characters of letters, digits and ._-/");
        if (!json_is_string(val))
            return gw_fail(c->p, INVALID, f, "%s must be a string, not %s", f, type_name(val));
        if (json_string_length(val) > 255)
            return gw_fail(c->p, INVALID, f, "%s is longer than 255 bytes", f);
    }
    return 0;
}

static int parse_requirements(const struct ctx *c, const json_t *v)
{
    if (!v)
        return 0;
    if (!json_is_array(v))
        return wrong_type(c, "requirements", "an array of strings", v);
    if ((long)json_array_size(v) > c->cfg->max_requirements) {
        char f[160];
        path(c, f, sizeof f, "requirements");
        return gw_fail(c->p, INVALID, f, "%s has more than %ld entries", f,
                       c->cfg->max_requirements);
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char f[160];
        path(c, f, sizeof f, "requirements[%zu]", i);
        if (!json_is_string(item))
            return gw_fail(c->p, INVALID, f, "%s must be a string, not %s", f, type_name(item));
        const char *s = json_string_value(item);
        size_t len = json_string_length(item);
        /* A package specifier, never an option or a path: "numpy", "requests>=2,<3". */
        bool ok = len >= 1 && len <= 200 && isalnum((unsigned char)s[0]);
        for (size_t k = 0; ok && k < len; k++)
            ok = isalnum((unsigned char)s[k]) || strchr("._-[],<>=!~ ", s[k]);
        if (!ok)
            return gw_fail(c->p, INVALID, f,
                           "%s must be a package requirement such as \"numpy\" or \"requests>=2\"",
                           f);
    }
    return 0;
}

static int parse_checker(const struct ctx *c, const json_t *v)
{
    static const char *simple[] = {"exact", "lines", "tokens", "float"};
    char f[160];
    if (json_is_string(v)) {
        for (int i = 0; i < 4; i++)
            if (strcmp(json_string_value(v), simple[i]) == 0)
                return 0;
        path(c, f, sizeof f, "checker");
        return gw_fail(c->p, INVALID, f,
                       "%s must be exact, lines, tokens, float or an object with \"type\"", f);
    }
    if (!json_is_object(v))
        return wrong_type(c, "checker", "a string or an object", v);
    const json_t *type = json_object_get(v, "type");
    if (!json_is_string(type)) {
        path(c, f, sizeof f, "checker.type");
        return gw_fail(c->p, INVALID, f, "%s is required and must be a string", f);
    }
    const char *t = json_string_value(type);
    bool is_custom = strcmp(t, "custom") == 0, is_float = strcmp(t, "float") == 0;
    bool known = is_custom || is_float;
    for (int i = 0; i < 3; i++)
        known = known || strcmp(t, simple[i]) == 0;
    if (!known) {
        path(c, f, sizeof f, "checker.type");
        return gw_fail(c->p, INVALID, f, "%s must be exact, lines, tokens, float or custom", f);
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        path(c, f, sizeof f, "checker.%.40s", key);
        if (strcmp(key, "type") == 0)
            continue;
        if (is_float && (strcmp(key, "abs_tol") == 0 || strcmp(key, "rel_tol") == 0)) {
            if (!json_is_number(val) || json_number_value(val) < 0)
                return gw_fail(c->p, INVALID, f, "%s must be a number >= 0", f);
            continue;
        }
        if (is_custom && strcmp(key, "runtime") == 0) {
            const struct gw_runtime *rt =
                json_is_string(val) ? gw_catalog_find(c->cat, json_string_value(val)) : NULL;
            if (!rt || !(rt->kinds & GW_KIND_PROGRAM))
                return gw_fail(c->p, INVALID, f, "%s must name a program runtime of GET /runtimes",
                               f);
            continue;
        }
        if (is_custom && strcmp(key, "code") == 0) {
            char sub[64];
            snprintf(sub, sizeof sub, "checker.code");
            if (check_base64(c, sub, val, false))
                return -1;
            continue;
        }
        return gw_fail(c->p, INVALID, f, "unknown field %s for a %s checker", f, t);
    }
    if (is_custom && (!json_object_get(v, "runtime") || !json_object_get(v, "code"))) {
        path(c, f, sizeof f, "checker");
        return gw_fail(c->p, INVALID, f, "a custom checker needs runtime and code");
    }
    return 0;
}

static int parse_tests(const struct ctx *c, const json_t *v, unsigned kind)
{
    char f[160];
    if (!json_is_array(v))
        return wrong_type(c, "tests", "an array", v);
    if ((long)json_array_size(v) > c->cfg->max_tests) {
        path(c, f, sizeof f, "tests");
        return gw_fail(c->p, INVALID, f, "%s has more than %ld entries", f, c->cfg->max_tests);
    }
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t)
    {
        char item[48];
        snprintf(item, sizeof item, "tests[%zu]", i);
        if (!json_is_object(t))
            return wrong_type(c, item, "an object", t);
        const char *key;
        json_t *val;
        json_object_foreach(t, key, val)
        {
            char sub[96];
            snprintf(sub, sizeof sub, "%s.%.40s", item, key);
            if (kind == GW_KIND_PROGRAM && (strcmp(key, "input") == 0 || strcmp(key, "expected") == 0)) {
                if (check_base64(c, sub, val, true))
                    return -1;
            } else if (kind == GW_KIND_FUNCTION && strcmp(key, "args") == 0) {
                if (!json_is_array(val))
                    return wrong_type(c, sub, "an array", val);
            } else if (kind == GW_KIND_FUNCTION && strcmp(key, "kwargs") == 0) {
                if (!json_is_object(val))
                    return wrong_type(c, sub, "an object", val);
            } else if (kind == GW_KIND_FUNCTION && strcmp(key, "expected") == 0) {
                /* any JSON value */
            } else if (strcmp(key, "points") == 0) {
                if (!json_is_number(val) || json_number_value(val) < 0)
                    return gw_fail(c->p, INVALID, path(c, f, sizeof f, "%s", sub),
                                   "%s must be a number >= 0", f);
            } else if (strcmp(key, "group") == 0) {
                if (!json_is_string(val) || json_string_length(val) > 64)
                    return gw_fail(c->p, INVALID, path(c, f, sizeof f, "%s", sub),
                                   "%s must be a string of at most 64 bytes", f);
            } else {
                return gw_fail(c->p, INVALID, path(c, f, sizeof f, "%s", sub),
                               "unknown field %s in a %s test", f, gw_kind_name(kind));
            }
        }
        const char *need = kind == GW_KIND_PROGRAM ? "input" : "args";
        if (!json_object_get(t, need) || !json_object_get(t, "expected"))
            return gw_fail(c->p, INVALID, path(c, f, sizeof f, "%s", item),
                           "%s needs %s and expected", f, need);
    }
    return 0;
}

/* Fields by kind: which are allowed (bit set) for call, function, program. */
struct field_rule {
    const char *name;
    unsigned kinds;
};

static const struct field_rule fields[] = {
    {"runtime", 7},      {"kind", 7},     {"code", 7},     {"limits", 7},
    {"priority", 7},     {"max_attempts", 7}, {"labels", 7}, {"requirements", 7},
    {"entrypoint", GW_KIND_FUNCTION},   {"args", GW_KIND_FUNCTION},
    {"kwargs", GW_KIND_FUNCTION},       {"stdin", GW_KIND_PROGRAM},
    {"tests", GW_KIND_FUNCTION | GW_KIND_PROGRAM},
    {"checker", GW_KIND_FUNCTION | GW_KIND_PROGRAM},
    {"stop_on_failure", GW_KIND_FUNCTION | GW_KIND_PROGRAM},
    {"expected", GW_KIND_PROGRAM},      {"problem", GW_KIND_PROGRAM},
};

const struct gw_stored_problem *gw_stored_problem_find(const struct gw_stored_problems *set,
                                                       const char *name)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    return NULL;
}

int gw_checker_validate(const json_t *v, unsigned kind, const struct gw_config *cfg,
                        const struct gw_catalog *cat, const char *prefix, struct gw_problem *p)
{
    struct ctx c = {prefix ? prefix : "", cfg, cat, p};
    (void)kind; /* the same rules for every kind; a function job's custom checker fails on the
                 * executor (UnsupportedChecker): it compares program output only */
    return parse_checker(&c, v);
}

int gw_limits_validate(const json_t *v, const struct gw_config *cfg, const char *prefix,
                       struct gw_problem *p)
{
    struct ctx c = {prefix ? prefix : "", cfg, NULL, p};
    struct gw_limits ignored;
    return parse_limits(&c, v, NULL, &ignored);
}

int gw_job_parse(const json_t *root, const struct gw_config *cfg, const struct gw_catalog *cat,
                 const char *prefix, struct gw_job_input *out, struct gw_problem *p)
{
    return gw_job_parse_with(root, cfg, cat, NULL, prefix, out, p);
}

/* The texts stored with a job. The spec is the executor's copy: the request minus the scheduling
 * fields, with the effective limits (and a stored problem pinned), keys in the request's order;
 * written directly rather than as an edited deep copy dumped by jansson (the hot path of a
 * submit). Returns 0 or -1 (out of memory); what was written is in @p out either way. */
static int write_texts(const json_t *root, unsigned k, const json_t *tests,
                       const struct gw_stored_problem *problem, const json_t *labels,
                       struct gw_job_input *out)
{
    struct jg_buf lim, spec, lab;
    jg_buf_init(&lim, SIZE_MAX);
    jg_buf_init(&spec, SIZE_MAX);
    jg_buf_init(&lab, SIZE_MAX);
    int rc = gw_json_write_raw(&lim, "{\"cpu_ms\":");
    rc |= gw_json_write_int(&lim, out->limits.cpu_ms);
    rc |= gw_json_write_raw(&lim, ",\"wall_ms\":");
    rc |= gw_json_write_int(&lim, out->limits.wall_ms);
    rc |= gw_json_write_raw(&lim, ",\"memory_mb\":");
    rc |= gw_json_write_int(&lim, out->limits.memory_mb);
    rc |= gw_json_write_raw(&lim, ",\"output_kb\":");
    rc |= gw_json_write_int(&lim, out->limits.output_kb);
    rc |= gw_json_write_raw(&lim, ",\"processes\":");
    rc |= gw_json_write_int(&lim, out->limits.processes);
    rc |= gw_json_write_raw(&lim, "}");
    rc |= labels ? gw_json_write(&lab, labels) : jg_buf_append(&lab, "{}", 2);

    const char *key;
    size_t klen;
    json_t *val;
    bool has_limits = false;
    rc |= jg_buf_append(&spec, "{", 1);
    json_object_keylen_foreach((json_t *)root, key, klen, val)
    {
        if (strcmp(key, "priority") == 0 || strcmp(key, "max_attempts") == 0 ||
            strcmp(key, "labels") == 0)
            continue;
        if (spec.len > 1)
            rc |= jg_buf_append(&spec, ",", 1);
        rc |= gw_json_write_string(&spec, key, klen);
        rc |= jg_buf_append(&spec, ":", 1);
        if (strcmp(key, "limits") == 0) {
            has_limits = true;
            rc |= jg_buf_append(&spec, lim.data, lim.len);
        } else if (problem && strcmp(key, "problem") == 0) {
            /* pinned: the tests of the manifest current now, whatever happens later */
            rc |= jg_buf_append(&spec, "{\"name\":", 8);
            rc |= gw_json_write_string(&spec, problem->name, strlen(problem->name));
            rc |= gw_json_write_raw(&spec, ",\"version\":");
            rc |= gw_json_write_int(&spec, problem->version);
            rc |= gw_json_write_raw(&spec, ",\"manifest\":");
            rc |= gw_json_write_string(&spec, problem->manifest, strlen(problem->manifest));
            rc |= jg_buf_append(&spec, "}", 1);
        } else {
            rc |= gw_json_write(&spec, val);
        }
    }
    if (!has_limits) {
        rc |= jg_buf_append(&spec, spec.len > 1 ? ",\"limits\":" : "\"limits\":",
                            spec.len > 1 ? 10 : 9);
        rc |= jg_buf_append(&spec, lim.data, lim.len);
    }
    if (k == GW_KIND_FUNCTION && !tests) {
        if (!json_object_get(root, "args"))
            rc |= jg_buf_append(&spec, ",\"args\":[]", 10);
        if (!json_object_get(root, "kwargs"))
            rc |= jg_buf_append(&spec, ",\"kwargs\":{}", 12);
    }
    rc |= jg_buf_append(&spec, "}", 1);
    out->limits_text = jg_buf_take(&lim, NULL);
    out->labels_text = jg_buf_take(&lab, NULL);
    out->spec_text = jg_buf_take(&spec, NULL);
    return rc || !out->limits_text || !out->labels_text || !out->spec_text ? -1 : 0;
}

int gw_job_parse_with(const json_t *root, const struct gw_config *cfg,
                      const struct gw_catalog *cat, const struct gw_stored_problems *problems,
                      const char *prefix, struct gw_job_input *out, struct gw_problem *p)
{
    struct ctx c = {prefix ? prefix : "", cfg, cat, p};
    char f[160];
    memset(out, 0, sizeof *out);
    if (!json_is_object(root)) {
        /* The element itself: "jobs[3]", not the "jobs[3]." prefix of its fields. */
        size_t n = strlen(c.prefix);
        if (n > 0 && c.prefix[n - 1] == '.')
            n--;
        snprintf(f, sizeof f, "%.*s", (int)n, c.prefix);
        return gw_fail(p, INVALID, f, "a job must be a JSON object, not %s", type_name(root));
    }

    const json_t *runtime = json_object_get(root, "runtime");
    const json_t *kind = json_object_get(root, "kind");
    if (!runtime)
        return fail_field(&c, "runtime", "is required");
    if (!json_is_string(runtime))
        return wrong_type(&c, "runtime", "a string", runtime);
    const struct gw_runtime *rt = gw_catalog_find(cat, json_string_value(runtime));
    if (!rt)
        return gw_fail(p, INVALID, path(&c, f, sizeof f, "runtime"),
                       "unknown runtime '%.64s'; GET /runtimes lists the catalog",
                       json_string_value(runtime));
    if (!kind)
        return fail_field(&c, "kind", "is required (call, function or program)");
    if (!json_is_string(kind))
        return wrong_type(&c, "kind", "a string", kind);
    unsigned k = gw_kind_parse(json_string_value(kind));
    if (!k)
        return gw_fail(p, INVALID, path(&c, f, sizeof f, "kind"),
                       "unknown kind '%.32s' (call, function or program)", json_string_value(kind));
    if (!(rt->kinds & k))
        return gw_fail(p, INVALID, path(&c, f, sizeof f, "kind"),
                       "runtime %s does not run %s jobs", rt->name, gw_kind_name(k));

    const char *key;
    json_t *val;
    json_object_foreach((json_t *)root, key, val)
    {
        size_t i = 0, n = sizeof fields / sizeof *fields;
        while (i < n && strcmp(fields[i].name, key) != 0)
            i++;
        if (i == n)
            return gw_fail(p, INVALID, path(&c, f, sizeof f, "%.60s", key), "unknown field %s",
                           f);
        if (!(fields[i].kinds & k))
            return gw_fail(p, INVALID, path(&c, f, sizeof f, "%s", key),
                           "%s is not allowed in a %s job", f, gw_kind_name(k));
    }

    const json_t *code = json_object_get(root, "code");
    if (!code)
        return fail_field(&c, "code", "is required");
    if (check_base64(&c, "code", code, false))
        return -1;

    if (k == GW_KIND_FUNCTION) {
        const json_t *ep = json_object_get(root, "entrypoint");
        if (!ep)
            return fail_field(&c, "entrypoint", "is required for function jobs");
        if (!json_is_string(ep) || json_string_length(ep) > 128 ||
            !is_identifier(json_string_value(ep)))
            return fail_field(&c, "entrypoint", "must be a Python identifier");
        const json_t *args = json_object_get(root, "args");
        if (args && !json_is_array(args))
            return wrong_type(&c, "args", "an array", args);
        const json_t *kwargs = json_object_get(root, "kwargs");
        if (kwargs && !json_is_object(kwargs))
            return wrong_type(&c, "kwargs", "an object", kwargs);
        if ((args || kwargs) && json_object_get(root, "tests"))
            return fail_field(&c, "args", "cannot be combined with tests (each test has its args)");
    }
    const json_t *stdin_v = json_object_get(root, "stdin");
    if (stdin_v && check_base64(&c, "stdin", stdin_v, true))
        return -1;
    const json_t *tests = json_object_get(root, "tests");
    if (tests) {
        if (stdin_v)
            return fail_field(&c, "stdin", "cannot be combined with tests (each test has its input)");
        if (parse_tests(&c, tests, k))
            return -1;
    }
    const json_t *expected = json_object_get(root, "expected");
    if (expected) {
        if (tests)
            return fail_field(&c, "expected", "cannot be combined with tests (each test has its "
                                              "expected output)");
        if (check_base64(&c, "expected", expected, true))
            return -1;
    }
    const json_t *problem_name = json_object_get(root, "problem");
    const struct gw_stored_problem *problem = NULL;
    if (problem_name) {
        if (!json_is_string(problem_name))
            return wrong_type(&c, "problem", "a string", problem_name);
        if (tests || stdin_v || expected)
            return fail_field(&c, "problem", "cannot be combined with tests, stdin or expected "
                                             "(the problem has the tests)");
        problem = gw_stored_problem_find(problems, json_string_value(problem_name));
        if (!problem)
            return gw_fail(p, INVALID, path(&c, f, sizeof f, "problem"),
                           "no stored problem '%.64s' (PUT /problems/<name> creates one)",
                           json_string_value(problem_name));
    }
    const json_t *checker = json_object_get(root, "checker");
    const json_t *stop = json_object_get(root, "stop_on_failure");
    if (checker && !tests && !expected && !problem)
        return fail_field(&c, "checker", "needs tests, expected or problem");
    if (stop && !tests && !problem)
        return fail_field(&c, "stop_on_failure", "needs tests or problem");
    if (checker && parse_checker(&c, checker))
        return -1;
    if (stop && !json_is_boolean(stop))
        return wrong_type(&c, "stop_on_failure", "a boolean", stop);

    if (parse_limits(&c, json_object_get(root, "limits"), problem ? problem->limits : NULL,
                     &out->limits))
        return -1;
    out->priority = 0;
    const json_t *prio = json_object_get(root, "priority");
    if (prio && check_int(&c, "priority", prio, GW_PRIORITY_MIN, GW_PRIORITY_MAX, &out->priority))
        return -1;
    out->max_attempts = cfg->default_max_attempts;
    const json_t *ma = json_object_get(root, "max_attempts");
    if (ma && check_int(&c, "max_attempts", ma, 1, cfg->max_attempts_cap, &out->max_attempts))
        return -1;
    const json_t *labels = json_object_get(root, "labels");
    if (parse_labels(&c, labels) || parse_requirements(&c, json_object_get(root, "requirements")))
        return -1;

    snprintf(out->runtime, sizeof out->runtime, "%s", rt->name);
    out->kind = k;

    if (write_texts(root, k, tests, problem, labels, out)) {
        gw_job_input_free(out);
        return gw_fail(p, 503, "unavailable", "Service unavailable", "", "out of memory");
    }
    return 0;
}

void gw_job_input_free(struct gw_job_input *in)
{
    free(in->spec_text);
    free(in->limits_text);
    free(in->labels_text);
    in->spec_text = in->limits_text = in->labels_text = NULL;
}
