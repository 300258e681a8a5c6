/* PUT /problems/<name> (admin): create or replace a stored problem. Test data is content-addressed:
 * each input and expected output is stored once in `blobs` by its SHA-256, given inline (base64)
 * or by the hash of a blob uploaded before (POST /blobs, for problems larger than one request).
 * The test list, checker and scoring go into a manifest blob; the problem row points at it, and a
 * job submitted with "problem" is pinned to the manifest current then. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "jobs/catalog.h"
#include "jobs/job_json.h"
#include "problems.h"
#include "sha256.h"

#define INVALID 422, "invalid-field", "Invalid field"

bool gw_problem_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return false;
    return true;
}

bool gw_sha256_hex_valid(const char *s, char out[65])
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    out[64] = '\0';
    return true;
}

/* What one PUT writes: new blobs as parallel PostgreSQL arrays, and the hashes it only names. */
struct upload {
    struct jg_buf hashes, sizes, data;
    size_t nnew;
    struct jg_buf refs;
    size_t nrefs;
};

static void upload_init(struct upload *u)
{
    memset(u, 0, sizeof *u);
    jg_buf_init(&u->hashes, (size_t)1 << 30);
    jg_buf_init(&u->sizes, (size_t)1 << 30);
    jg_buf_init(&u->data, (size_t)1 << 31);
    jg_buf_init(&u->refs, (size_t)1 << 30);
    /* PostgreSQL array literals; gw_pg_array_add appends the elements, "}" closes them. */
    jg_buf_append(&u->hashes, "{", 1);
    jg_buf_append(&u->sizes, "{", 1);
    jg_buf_append(&u->data, "{", 1);
    jg_buf_append(&u->refs, "{", 1);
}

static void upload_free(struct upload *u)
{
    jg_buf_free(&u->hashes);
    jg_buf_free(&u->sizes);
    jg_buf_free(&u->data);
    jg_buf_free(&u->refs);
}

/* Queue @p b64 (valid base64) as a blob; its digest goes into hex and its size into *size. */
static int add_blob(struct upload *u, const char *b64, size_t len, char hex[65], size_t *size)
{
    unsigned char *bytes = malloc(jg_base64_decoded_max(len) + 1);
    size_t bad;
    if (!bytes)
        return -1;
    long n = jg_base64_decode(b64, len, bytes, &bad);
    if (n < 0) {
        free(bytes);
        return -1;
    }
    jg_sha256_hex(bytes, (size_t)n, hex);
    free(bytes);
    *size = (size_t)n;
    char sz[24];
    snprintf(sz, sizeof sz, "%ld", n);
    bool first = u->nnew++ == 0;
    return gw_pg_array_add(&u->hashes, hex, first) | gw_pg_array_add(&u->sizes, sz, first) |
           gw_pg_array_add(&u->data, b64, first);
}

/* One side of a test ("input" or "expected"): inline base64 or "<side>_sha256". Sets @p hex and
 * *size (-1 when only named: the database knows the size). */
static int test_side(struct upload *u, const json_t *t, size_t i, const char *side, char hex[65],
                     long *size, struct gw_problem *p)
{
    char key[32], f[64];
    snprintf(key, sizeof key, "%s_sha256", side);
    const json_t *data = json_object_get(t, side), *ref = json_object_get(t, key);
    if (!data == !ref) {
        snprintf(f, sizeof f, "tests[%zu]", i);
        return gw_fail(p, INVALID, f, "%s needs exactly one of %s (base64) and %s", f, side, key);
    }
    size_t bad;
    if (data) {
        snprintf(f, sizeof f, "tests[%zu].%s", i, side);
        if (!json_is_string(data) ||
            jg_base64_validate(json_string_value(data), json_string_length(data), &bad) < 0)
            return gw_fail(p, INVALID, f, "%s must be base64 (RFC 4648, padded)", f);
        size_t n;
        if (add_blob(u, json_string_value(data), json_string_length(data), hex, &n))
            return gw_fail(p, 503, "unavailable", "Service unavailable", "", "out of memory");
        *size = (long)n;
        return 0;
    }
    snprintf(f, sizeof f, "tests[%zu].%s", i, key);
    if (!json_is_string(ref) || !gw_sha256_hex_valid(json_string_value(ref), hex))
        return gw_fail(p, INVALID, f, "%s must be a SHA-256 in hex (64 characters)", f);
    gw_pg_array_add(&u->refs, hex, u->nrefs++ == 0);
    *size = -1;
    return 0;
}

/* The sizes of named blobs, from the database; a missing one is a 422 naming the test. */
static int resolve_refs(struct gw_request *rq, struct upload *u, json_t *doc_tests,
                        enum gw_result *res)
{
    if (u->nrefs == 0)
        return 0;
    jg_buf_append(&u->refs, "}", 1);
    struct db_conn *db = gw_db(rq);
    const char *params[] = {u->refs.data};
    PGresult *r = db_exec(db, STMT_BLOBS_EXIST, 1, params);
    if (!r) {
        *res = gw_reply_db_error(rq, db);
        return -1;
    }
    size_t i;
    json_t *t;
    json_array_foreach(doc_tests, i, t)
    {
        static const char *const sides[] = {"input", "expected"};
        for (int s = 0; s < 2; s++) {
            json_t *d = json_object_get(t, sides[s]);
            if (json_integer_value(json_object_get(d, "size")) >= 0)
                continue;
            const char *hex = json_string_value(json_object_get(d, "sha256"));
            int row = 0;
            while (row < PQntuples(r) && strcmp(PQgetvalue(r, row, 0), hex) != 0)
                row++;
            if (row == PQntuples(r)) {
                PQclear(r);
                char f[64];
                snprintf(f, sizeof f, "tests[%zu].%s_sha256", i, sides[s]);
                *res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", f,
                                      "%s: no blob has this hash (POST /blobs uploads one)", f);
                return -1;
            }
            json_object_set_new(d, "size", json_integer(db_ll(r, row, 1)));
        }
    }
    PQclear(r);
    return 0;
}

/* Validate the body; fills the manifest's and the document's test lists. */
static int validate(struct gw_request *rq, const json_t *root, struct upload *u, json_t *mtests,
                    json_t *dtests, double *max_score, struct gw_problem *p)
{
    static const char *const fields[] = {"tests", "checker", "limits", "stop_on_failure", NULL};
    static const char *const tfields[] = {"input",  "input_sha256", "expected", "expected_sha256",
                                          "points", "group",        NULL};
    if (!json_is_object(root))
        return gw_fail(p, INVALID, "", "the body must be an object");
    if (gw_only_fields(root, fields, "", p))
        return -1;
    const json_t *tests = json_object_get(root, "tests");
    if (!json_is_array(tests) || json_array_size(tests) == 0 ||
        (long)json_array_size(tests) > rq->gw->cfg.max_tests)
        return gw_fail(p, INVALID, "tests", "tests must be an array of 1 to %ld tests",
                       rq->gw->cfg.max_tests);
    const json_t *checker = json_object_get(root, "checker");
    if (checker && gw_checker_validate(checker, GW_KIND_PROGRAM, &rq->gw->cfg, rq->gw->catalog,
                                       "", p))
        return -1;
    const json_t *limits = json_object_get(root, "limits");
    if (limits && gw_limits_validate(limits, &rq->gw->cfg, "", p))
        return -1;
    const json_t *stop = json_object_get(root, "stop_on_failure");
    if (stop && !json_is_boolean(stop))
        return gw_fail(p, INVALID, "stop_on_failure", "stop_on_failure must be a boolean");
    *max_score = 0;
    size_t i;
    const json_t *t;
    json_array_foreach(tests, i, t)
    {
        char prefix[32], f[64];
        snprintf(prefix, sizeof prefix, "tests[%zu].", i);
        if (!json_is_object(t)) {
            snprintf(f, sizeof f, "tests[%zu]", i);
            return gw_fail(p, INVALID, f, "%s must be an object", f);
        }
        if (gw_only_fields(t, tfields, prefix, p))
            return -1;
        char in[65], exp[65];
        long in_size, exp_size;
        if (test_side(u, t, i, "input", in, &in_size, p) ||
            test_side(u, t, i, "expected", exp, &exp_size, p))
            return -1;
        const json_t *pts = json_object_get(t, "points"), *group = json_object_get(t, "group");
        if (pts && (!json_is_number(pts) || json_number_value(pts) < 0)) {
            snprintf(f, sizeof f, "tests[%zu].points", i);
            return gw_fail(p, INVALID, f, "%s must be a number >= 0", f);
        }
        if (group && (!json_is_string(group) || json_string_length(group) == 0 ||
                      json_string_length(group) > 64)) {
            snprintf(f, sizeof f, "tests[%zu].group", i);
            return gw_fail(p, INVALID, f, "%s must be a string of 1 to 64 bytes", f);
        }
        double points = pts ? json_number_value(pts) : 1;
        *max_score += points;
        json_t *m = json_pack("{s:s, s:s, s:f}", "input", in, "expected", exp, "points", points);
        json_t *d = json_pack("{s:{s:s, s:I}, s:{s:s, s:I}, s:f}", "input", "sha256", in, "size",
                              (json_int_t)in_size, "expected", "sha256", exp, "size",
                              (json_int_t)exp_size, "points", points);
        if (group) {
            json_object_set(m, "group", (json_t *)group);
            json_object_set(d, "group", (json_t *)group);
        }
        json_array_append_new(mtests, m);
        json_array_append_new(dtests, d);
    }
    return 0;
}

enum gw_result gw_problem_reply(struct gw_request *rq, const char *name, unsigned status)
{
    struct db_conn *db = gw_db(rq);
    struct jg_buf b;
    jg_buf_init(&b, 1024);
    int rc = jg_buf_append(&b, "{", 1) | gw_pg_array_add(&b, name, true) | jg_buf_append(&b, "}", 1);
    if (rc) {
        jg_buf_free(&b);
        return gw_reply_internal(rq, "out of memory");
    }
    const char *params[] = {b.data};
    PGresult *r = db_exec(db, STMT_PROBLEMS_GET, 1, params);
    jg_buf_free(&b);
    if (!r)
        return gw_reply_db_error(rq, db);
    if (PQntuples(r) != 1) {
        PQclear(r);
        return gw_reply_error(rq, 404, "not-found", "Not found", "name", "no such problem");
    }
    json_t *doc = gw_problem_row_to_json(r, 0);
    PQclear(r);
    return gw_reply_json(rq, status, doc);
}

json_t *gw_problem_row_to_json(const PGresult *r, int row)
{
    json_t *doc = json_loads(PQgetvalue(r, row, GW_PC_DOC), 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_object();
    }
    char created[48], updated[48];
    gw_timestamp_iso(PQgetvalue(r, row, GW_PC_CREATED), created, sizeof created);
    gw_timestamp_iso(PQgetvalue(r, row, GW_PC_UPDATED), updated, sizeof updated);
    json_object_set_new(doc, "name", json_string(PQgetvalue(r, row, GW_PC_NAME)));
    json_object_set_new(doc, "version", json_integer(db_ll(r, row, GW_PC_VERSION)));
    json_object_set_new(doc, "manifest", json_string(PQgetvalue(r, row, GW_PC_MANIFEST)));
    json_object_set_new(doc, "created_at", json_string(created));
    json_object_set_new(doc, "updated_at", json_string(updated));
    return doc;
}

/* Write the blobs and the problem row in one transaction; *created is set when the name is new,
 * *changed when anything differs from what was stored. */
static int store(struct db_conn *db, struct upload *u, const char *name, const char *manifest_hex,
                 const char *doc, const char *limits, bool *created, bool *changed)
{
    if (db_command(db, "BEGIN"))
        return -1;
    PGresult *r = NULL;
    if (u->nnew) {
        const char *bp[] = {u->hashes.data, u->sizes.data, u->data.data};
        r = db_exec(db, STMT_BLOBS_PUT, 3, bp);
        if (!r)
            goto fail;
        PQclear(r);
    }
    const char *pp[] = {name, manifest_hex, doc, limits};
    r = db_exec(db, STMT_PROBLEM_UPSERT, 4, pp);
    if (!r)
        goto fail;
    *changed = PQntuples(r) == 1;
    *created = *changed && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return db_command(db, "COMMIT");
fail:
    db_command(db, "ROLLBACK");
    return -1;
}

enum gw_result gw_handle_problems_put(struct gw_request *rq)
{
    struct gw_problem p = {0};
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    if (!gw_problem_name_valid(rq->param)) {
        json_decref(root);
        return gw_reply_error(rq, 422, "invalid-field", "Invalid field", "name",
                              "a problem name is 1 to 64 letters, digits, '.', '_' or '-'");
    }
    enum gw_result res;
    struct upload u;
    upload_init(&u);
    char *manifest = NULL, *doc_text = NULL, *limits_text = NULL;
    json_t *mtests = json_array(), *dtests = json_array(), *m = NULL, *doc = NULL, *lim = NULL;
    double max_score = 0;
    if (validate(rq, root, &u, mtests, dtests, &max_score, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    if (resolve_refs(rq, &u, dtests, &res))
        goto out;
    /* The manifest is what executors read: canonical, so equal problems share one blob. */
    const json_t *checker = json_object_get(root, "checker");
    const json_t *stop = json_object_get(root, "stop_on_failure");
    m = json_pack("{s:O}", "tests", mtests);
    if (checker)
        json_object_set(m, "checker", (json_t *)checker);
    if (stop)
        json_object_set(m, "stop_on_failure", (json_t *)stop);
    manifest = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    const json_t *limits = json_object_get(root, "limits");
    lim = limits ? json_incref((json_t *)limits) : json_object();
    limits_text = json_dumps(lim, JSON_COMPACT | JSON_SORT_KEYS);
    doc = json_pack("{s:O, s:I, s:f, s:O, s:b}", "tests", dtests, "test_count",
                    (json_int_t)json_array_size(dtests), "max_score", max_score, "limits", lim,
                    "stop_on_failure", !json_is_false(stop));
    if (checker)
        json_object_set(doc, "checker", (json_t *)checker);
    doc_text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!manifest || !limits_text || !doc_text) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    char *b64 = jg_base64_encode_alloc((const unsigned char *)manifest, strlen(manifest));
    char mhex[65];
    size_t msize;
    if (!b64 || add_blob(&u, b64, strlen(b64), mhex, &msize)) {
        free(b64);
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    free(b64);
    jg_buf_append(&u.hashes, "}", 1);
    jg_buf_append(&u.sizes, "}", 1);
    if (jg_buf_append(&u.data, "}", 1)) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    struct db_conn *db = gw_db(rq);
    bool created = false, changed = false;
    if (store(db, &u, rq->param, mhex, doc_text, limits_text, &created, &changed)) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    res = gw_problem_reply(rq, rq->param, created ? 201 : 200);
out:
    free(manifest);
    free(doc_text);
    free(limits_text);
    json_decref(m);
    json_decref(doc);
    json_decref(lim);
    json_decref(mtests);
    json_decref(dtests);
    upload_free(&u);
    json_decref(root);
    return res;
}
