/* Checkers: the comparisons a judge makes between a program's output and the expected one. */
#include "checker.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ex_checker_parse(const json_t *spec, struct ex_checker *out, char *err, size_t errlen)
{
    static const char *const names[] = {"exact", "lines", "tokens", "float"};
    memset(out, 0, sizeof *out);
    out->type = EX_CHECK_LINES;
    if (!spec)
        return 0;
    const char *t = json_is_string(spec) ? json_string_value(spec)
                                         : json_string_value(json_object_get(spec, "type"));
    if (!t) {
        snprintf(err, errlen, "checker must be a name or an object with a type");
        return -EINVAL;
    }
    for (int i = 0; i < 4; i++) {
        if (strcmp(t, names[i]) == 0) {
            out->type = (enum ex_checker_type)i;
            if (out->type == EX_CHECK_FLOAT) {
                const json_t *a = json_object_get(spec, "abs_tol"), *r = json_object_get(spec, "rel_tol");
                out->abs_tol = a || r ? (a ? json_number_value(a) : 0) : 1e-6;
                out->rel_tol = a || r ? (r ? json_number_value(r) : 0) : 1e-6;
            }
            return 0;
        }
    }
    if (strcmp(t, "custom") == 0) {
        if (!json_is_string(json_object_get(spec, "runtime")) ||
            !json_is_string(json_object_get(spec, "code"))) {
            snprintf(err, errlen, "a custom checker needs runtime and code");
            return -EINVAL;
        }
        out->type = EX_CHECK_CUSTOM;
        return 0;
    }
    snprintf(err, errlen, "unknown checker '%.32s'", t);
    return -EINVAL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Next whitespace-separated token of [*p, end): sets *tok and *len, returns false at the end. */
static bool next_token(const char **p, const char *end, const char **tok, size_t *len)
{
    while (*p < end && is_space(**p))
        (*p)++;
    if (*p >= end)
        return false;
    *tok = *p;
    while (*p < end && !is_space(**p))
        (*p)++;
    *len = (size_t)(*p - *tok);
    return true;
}

static bool parse_double(const char *s, size_t len, double *out)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0';
}

static bool near(const struct ex_checker *c, double got, double exp)
{
    if (isnan(got) || isnan(exp))
        return isnan(got) && isnan(exp);
    if (got == exp)
        return true;
    double d = fabs(got - exp);
    return d <= c->abs_tol || d <= c->rel_tol * fabs(exp);
}

static bool tokens_match(const struct ex_checker *c, const char *g, size_t gl, const char *e, size_t el)
{
    const char *gp = g, *ge = g + gl, *ep = e, *ee = e + el, *gt, *et;
    size_t gn, en;
    for (;;) {
        bool hg = next_token(&gp, ge, &gt, &gn), he = next_token(&ep, ee, &et, &en);
        if (!hg || !he)
            return hg == he;
        if (gn == en && memcmp(gt, et, gn) == 0)
            continue;
        double a, b;
        if (c->type != EX_CHECK_FLOAT || !parse_double(gt, gn, &a) || !parse_double(et, en, &b) ||
            !near(c, a, b))
            return false;
    }
}

/* Length of the line starting at p (without its newline) with trailing blanks removed. */
static size_t trimmed_line(const char *p, const char *end, const char **next)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    *next = nl ? nl + 1 : end;
    const char *q = stop;
    while (q > p && is_space(q[-1]))
        q--;
    return (size_t)(q - p);
}

/* Lines equal after removing trailing whitespace of each line and trailing empty lines. */
static bool lines_match(const char *g, size_t gl, const char *e, size_t el)
{
    const char *gp = g, *ge = g + gl, *ep = e, *ee = e + el;
    for (;;) {
        /* Only blank lines left on a side count as its end. */
        const char *p, *gn2, *en2;
        bool gdone = true, edone = true;
        for (p = gp; p < ge; p++)
            if (!is_space(*p)) {
                gdone = false;
                break;
            }
        for (p = ep; p < ee; p++)
            if (!is_space(*p)) {
                edone = false;
                break;
            }
        if (gdone || edone)
            return gdone && edone;
        size_t a = trimmed_line(gp, ge, &gn2), b = trimmed_line(ep, ee, &en2);
        if (a != b || memcmp(gp, ep, a) != 0)
            return false;
        gp = gn2;
        ep = en2;
    }
}

const char *ex_check_output(const struct ex_checker *c, const char *got, size_t got_len,
                            const char *expected, size_t expected_len)
{
    switch (c->type) {
    case EX_CHECK_EXACT:
        if (got_len == expected_len && memcmp(got, expected, got_len) == 0)
            return "OK";
        break;
    case EX_CHECK_LINES:
        if (lines_match(got, got_len, expected, expected_len))
            return "OK";
        break;
    case EX_CHECK_CUSTOM: /* run by program.c; never reaches here */
    case EX_CHECK_TOKENS:
    case EX_CHECK_FLOAT:
        return tokens_match(c, got, got_len, expected, expected_len) ? "OK" : "WA";
    }
    struct ex_checker tokens = {EX_CHECK_TOKENS, 0, 0};
    return tokens_match(&tokens, got, got_len, expected, expected_len) ? "PE" : "WA";
}

bool ex_check_value(const struct ex_checker *c, const json_t *got, const json_t *expected)
{
    if (json_is_number(got) && json_is_number(expected)) {
        if (json_is_integer(got) && json_is_integer(expected))
            return json_integer_value(got) == json_integer_value(expected);
        double a = json_number_value(got), b = json_number_value(expected);
        return c->type == EX_CHECK_FLOAT ? near(c, a, b) : a == b;
    }
    if (json_typeof(got) != json_typeof(expected))
        return false;
    if (json_is_array(got)) {
        if (json_array_size(got) != json_array_size(expected))
            return false;
        for (size_t i = 0; i < json_array_size(got); i++)
            if (!ex_check_value(c, json_array_get(got, i), json_array_get(expected, i)))
                return false;
        return true;
    }
    if (json_is_object(got)) {
        if (json_object_size(got) != json_object_size(expected))
            return false;
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)got, key, v)
        {
            const json_t *w = json_object_get(expected, key);
            if (!w || !ex_check_value(c, v, w))
                return false;
        }
        return true;
    }
    return json_equal((json_t *)got, (json_t *)expected) == 1;
}
