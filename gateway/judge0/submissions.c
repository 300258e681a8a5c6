/* Judge0's /submissions: create (with ?wait=true a long-poll that holds no thread), get, list,
 * delete; and the batch endpoints. Submits go through the same group commit as POST /jobs; a
 * request is suspended while its insert commits and, with wait, until its job ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "handlers/jobs_submit.h"
#include "http/server.h"
#include "jobs/job_json.h"
#include "judge0.h"
#include "queue/submitter.h"
#include "queue/waiters.h"

/* A create (single or batch) across its suspensions. */
struct create {
    struct gw_submission *sub; /* the valid submissions, committed by the submitter */
    json_t *answers;           /* batch: per item, {token} or the errors object (null until known) */
    struct gw_wait_group *wait;
    struct j0_fields fields;
    bool b64, batch, waiting;
};

static void free_create(struct gw_request *rq)
{
    struct create *c = rq->state;
    if (c) {
        gw_submission_free(c->sub);
        json_decref(c->answers);
        gw_wait_group_free(rq->gw->waiters, c->wait);
        free(c);
    }
    rq->state = NULL;
}

/* ?fields= and ?base64_encoded=; on a bad fields list the 400 is queued in *res. */
static int query_options(struct gw_request *rq, struct j0_fields *f, bool *b64,
                         enum gw_result *res)
{
    char invalid[256];
    if (j0_fields_parse(gw_query(rq, "fields"), f, invalid, sizeof invalid)) {
        *res = j0_reply_error(rq, 400, "invalid fields: [%s]", invalid);
        return -1;
    }
    *b64 = j0_query_true(rq, "base64_encoded");
    return 0;
}

/* Read submissions by token (a PostgreSQL uuid[] literal); NULL with the reply queued. */
static PGresult *read_tokens(struct gw_request *rq, const char *ids, bool spec,
                             enum gw_result *res)
{
    struct db_conn *db = gw_db(rq);
    const char *params[] = {ids, gw_tenant_filter(rq), spec ? "true" : "false"};
    PGresult *r = db_exec(db, STMT_J0_GET_MANY, 3, params);
    if (!r)
        *res = gw_reply_db_error(rq, db);
    return r;
}

static enum gw_result not_found(struct gw_request *rq)
{
    return gw_reply_json(rq, 404, json_pack("{s:i, s:s}", "status", 404, "error", "Not Found"));
}

/* The submission of the path's token: one row, or NULL with the reply (404, 503) queued. */
static PGresult *read_token(struct gw_request *rq, const char *token, bool spec,
                            enum gw_result *res)
{
    char id[37], ids[48];
    if (!gw_job_id_valid(token, id)) {
        *res = not_found(rq);
        return NULL;
    }
    snprintf(ids, sizeof ids, "{%s}", id);
    PGresult *r = read_tokens(rq, ids, spec, res);
    if (r && PQntuples(r) != 1) {
        PQclear(r);
        *res = not_found(rq);
        return NULL;
    }
    return r;
}

static bool queue_full(struct gw_request *rq, size_t n)
{
    return atomic_load(&rq->gw->queue_depth) + (long)n > rq->gw->cfg.max_queued;
}

static enum gw_result reply_queue_full(struct gw_request *rq)
{
    gw_reply_header(rq, "Retry-After", "5");
    return j0_reply_error(rq, 503, "queue is full");
}

static struct gw_submission *new_submission(struct gw_request *rq, size_t n)
{
    struct gw_submission *sub = calloc(1, sizeof *sub);
    if (sub)
        sub->in = calloc(n ? n : 1, sizeof *sub->in);
    if (!sub || !sub->in) {
        free(sub);
        return NULL;
    }
    sub->rq = rq;
    sub->batch = n > 1;
    snprintf(sub->tenant, sizeof sub->tenant, "%s", rq->who.tenant);
    sub->token_id = rq->who.token_id;
    return sub;
}

/* The body as JSON; Judge0's 400 shape when it is not. */
static json_t *body_json(struct gw_request *rq, enum gw_result *res)
{
    struct gw_problem p;
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        *res = j0_reply_error(rq, 400, "%s", p.detail);
    return root;
}

/* --- POST /submissions ------------------------------------------------------------------------ */

/* wait=true: the submission as it is now, once it ended or the wait is over. */
static enum gw_result answer_waited(struct gw_request *rq, struct create *c)
{
    enum gw_result res;
    PGresult *r = read_token(rq, c->sub->ids[0], c->fields.needs_spec, &res);
    if (!r)
        return res;
    bool ended = j0_status_of_row(r, 0) > 2;
    if (!ended && !rq->resumed && !atomic_load(&rq->gw->stopping) &&
        gw_wait_suspend(rq->gw->waiters, c->wait)) {
        PQclear(r);
        return GW_SUSPENDED;
    }
    gw_wait_cancel(rq->gw->waiters, c->wait);
    bool not_utf8;
    json_t *doc = j0_submission_json(r, 0, &c->fields, c->b64, &not_utf8);
    PQclear(r);
    if (!doc && not_utf8)
        return gw_reply_json(rq, 201, json_pack("{s:s, s:s}", "token", c->sub->ids[0], "error",
                                                J0_NOT_UTF8));
    return doc ? gw_reply_json(rq, 201, doc) : gw_reply_internal(rq, "out of memory");
}

/* The insert committed (or failed): answer, or start waiting. */
static enum gw_result committed(struct gw_request *rq, struct create *c)
{
    struct gw_submission *sub = c->sub;
    if (!sub->done) {
        struct db_conn failed = {.err = (enum db_error)sub->db_error};
        snprintf(failed.errmsg, sizeof failed.errmsg, "group commit failed");
        return gw_reply_db_error(rq, &failed);
    }
    if (c->batch) {
        size_t k = 0, i;
        json_t *a;
        json_array_foreach(c->answers, i, a)
        {
            if (json_is_null(a))
                json_array_set_new(c->answers, i, json_pack("{s:s}", "token", sub->ids[k++]));
        }
        json_t *list = c->answers;
        c->answers = NULL;
        return gw_reply_json(rq, 201, list);
    }
    if (!c->waiting)
        return gw_reply_json(rq, 201, json_pack("{s:s}", "token", sub->ids[0]));
    c->wait = gw_wait_group_new(rq, 1, gw_wait_ms(rq, (double)rq->gw->cfg.max_wait_s));
    if (!c->wait)
        return gw_reply_internal(rq, "out of memory");
    memcpy(c->wait->waits[0].id, sub->ids[0], 37);
    gw_wait_register(rq->gw->waiters, c->wait); /* before reading: an end after it wakes us */
    rq->resumed = false;                        /* this is the first look at the job */
    return answer_waited(rq, c);
}

/* Resumed: by the submitter (the commit) or by the waiters (the job ended, or time is up). */
static enum gw_result resumed(struct gw_request *rq)
{
    struct create *c = rq->state;
    if (c->wait)
        return answer_waited(rq, c);
    return committed(rq, c);
}

static enum gw_result start_create(struct gw_request *rq, struct create *c, size_t n)
{
    c->sub->n = n;
    rq->state = c;
    rq->state_free = free_create;
    gw_submitter_enqueue(rq->gw->submitter, c->sub);
    return GW_SUSPENDED;
}

enum gw_result j0_handle_submissions_create(struct gw_request *rq)
{
    if (rq->resumed && rq->state)
        return resumed(rq);
    struct create *c = calloc(1, sizeof *c);
    if (!c)
        return gw_reply_internal(rq, "out of memory");
    enum gw_result res;
    json_t *root = NULL, *errors = NULL;
    struct gw_problem p;
    c->waiting = j0_query_true(rq, "wait");
    if (query_options(rq, &c->fields, &c->b64, &res))
        goto fail;
    if (queue_full(rq, 1)) {
        res = reply_queue_full(rq);
        goto fail;
    }
    if (!(root = body_json(rq, &res)))
        goto fail;
    if (!(c->sub = new_submission(rq, 1))) {
        res = gw_reply_internal(rq, "out of memory");
        goto fail;
    }
    int rc = j0_submission_parse(root, c->b64, &rq->gw->cfg, rq->gw->catalog, &c->sub->in[0],
                                 &errors, &p);
    json_decref(root);
    if (rc == 1) {
        res = gw_reply_json(rq, 422, errors);
        goto fail;
    }
    if (rc < 0) {
        res = gw_reply_problem(rq, &p);
        goto fail;
    }
    return start_create(rq, c, 1);
fail:
    gw_submission_free(c->sub);
    free(c);
    return res;
}

/* --- POST /submissions/batch ------------------------------------------------------------------ */

enum gw_result j0_handle_batch_create(struct gw_request *rq)
{
    if (rq->resumed && rq->state)
        return resumed(rq);
    struct j0_config cfg;
    j0_config_of(&rq->gw->cfg, &cfg);
    enum gw_result res;
    json_t *root = body_json(rq, &res);
    if (!root)
        return res;
    const json_t *items = json_object_get(root, "submissions");
    size_t n = json_is_array(items) ? json_array_size(items) : 0;
    struct create *c = NULL;
    if (n == 0) {
        res = j0_reply_error(rq, 400, "there should be at least one submission in a batch");
        goto out;
    }
    if ((long)n > cfg.max_batch) {
        res = j0_reply_error(rq, 400,
                             "number of submissions in a batch should be less than or equal to "
                             "%ld",
                             cfg.max_batch);
        goto out;
    }
    if (queue_full(rq, n)) {
        res = reply_queue_full(rq);
        goto out;
    }
    c = calloc(1, sizeof *c);
    if (c) {
        c->batch = true;
        c->b64 = j0_query_true(rq, "base64_encoded");
        c->answers = json_array();
        c->sub = new_submission(rq, n);
    }
    if (!c || !c->answers || !c->sub) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    size_t valid = 0, i;
    const json_t *item;
    json_array_foreach(items, i, item)
    {
        json_t *errors = NULL;
        struct gw_problem p;
        int rc = j0_submission_parse(item, c->b64, &rq->gw->cfg, rq->gw->catalog,
                                     &c->sub->in[valid], &errors, &p);
        if (rc < 0) {
            res = gw_reply_problem(rq, &p);
            goto out;
        }
        json_array_append_new(c->answers, rc == 1 ? errors : json_null());
        valid += rc == 0;
    }
    c->sub->batch = true;
    if (valid == 0) { /* Judge0: 422 when no item was valid */
        res = gw_reply_json(rq, 422, json_incref(c->answers));
        goto out;
    }
    json_decref(root);
    return start_create(rq, c, valid);
out:
    if (c) {
        if (c->sub)
            c->sub->n = json_array_size(items); /* free every parsed input */
        gw_submission_free(c->sub);
        json_decref(c->answers);
        free(c);
    }
    json_decref(root);
    return res;
}

/* --- GET /submissions/<token>, GET /submissions/batch ----------------------------------------- */

enum gw_result j0_handle_submissions_get(struct gw_request *rq)
{
    struct j0_fields f;
    bool b64;
    enum gw_result res;
    if (query_options(rq, &f, &b64, &res))
        return res;
    PGresult *r = read_token(rq, rq->param, f.needs_spec, &res);
    if (!r)
        return res;
    bool not_utf8;
    json_t *doc = j0_submission_json(r, 0, &f, b64, &not_utf8);
    PQclear(r);
    if (!doc)
        return not_utf8 ? j0_reply_error(rq, 400, J0_NOT_UTF8)
                        : gw_reply_internal(rq, "out of memory");
    return gw_reply_json(rq, 200, doc);
}

enum gw_result j0_handle_batch_get(struct gw_request *rq)
{
    struct j0_fields f;
    bool b64;
    enum gw_result res;
    if (query_options(rq, &f, &b64, &res))
        return res;
    struct j0_config cfg;
    j0_config_of(&rq->gw->cfg, &cfg);
    /* Judge0 takes them from a "tokens" header too. */
    const char *tokens = gw_query(rq, "tokens");
    if (!tokens)
        tokens = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "tokens");
    json_t *list = json_array();
    struct jg_buf arr;
    jg_buf_init(&arr, 1 << 16);
    int rc = jg_buf_append(&arr, "{", 1);
    size_t count = 0, valid = 0;
    while (tokens && (*tokens == ' ' || *tokens == '\t'))
        tokens++;
    for (const char *t = tokens; t && *t;) {
        size_t n = strcspn(t, ",");
        char tok[80], id[37];
        snprintf(tok, sizeof tok, "%.*s", (int)(n < 79 ? n : 79), t);
        for (size_t k = strlen(tok); k > 0 && (tok[k - 1] == ' ' || tok[k - 1] == '\t'); k--)
            tok[k - 1] = '\0';
        bool ok = gw_job_id_valid(tok, id);
        json_array_append_new(list, json_string(ok ? id : ""));
        if (ok)
            rc |= jg_buf_printf(&arr, "%s%s", valid++ ? "," : "", id);
        count++;
        t += n + (t[n] == ',');
    }
    rc |= jg_buf_append(&arr, "}", 1);
    if (count == 0 || (long)count > cfg.max_batch || rc) {
        jg_buf_free(&arr);
        json_decref(list);
        if (count == 0)
            return j0_reply_error(rq, 400, "there should be at least one submission in a batch");
        return j0_reply_error(rq, 400,
                              "number of submissions in a batch should be less than or equal to "
                              "%ld",
                              cfg.max_batch);
    }
    PGresult *r = read_tokens(rq, arr.data, f.needs_spec, &res);
    jg_buf_free(&arr);
    if (!r) {
        json_decref(list);
        return res;
    }
    json_t *out = json_array();
    size_t i;
    json_t *want;
    json_array_foreach(list, i, want)
    {
        int row = 0;
        while (row < PQntuples(r) && strcmp(PQgetvalue(r, row, J0C_ID), json_string_value(want)))
            row++;
        bool not_utf8 = false;
        json_t *doc = row < PQntuples(r) ? j0_submission_json(r, row, &f, b64, &not_utf8) : NULL;
        if (not_utf8) {
            PQclear(r);
            json_decref(list);
            json_decref(out);
            return j0_reply_error(rq, 400, J0_NOT_UTF8_MANY);
        }
        json_array_append_new(out, doc ? doc : json_null());
    }
    PQclear(r);
    json_decref(list);
    return gw_reply_json(rq, 200, json_pack("{s:o}", "submissions", out));
}

/* --- GET /submissions (list), DELETE /submissions/<token> -------------------------------------- */

/* ?page= and ?per_page= the way Ruby's to_i reads them ("abc" is 0). */
static long to_i(const char *s, long def)
{
    return s ? strtol(s, NULL, 10) : def;
}

enum gw_result j0_handle_submissions_list(struct gw_request *rq)
{
    struct j0_fields f;
    bool b64;
    enum gw_result res;
    if (query_options(rq, &f, &b64, &res))
        return res;
    long page = to_i(gw_query(rq, "page"), 1), per_page = to_i(gw_query(rq, "per_page"), 20);
    if (page <= 0)
        return j0_reply_error(rq, 400, "invalid page: %ld", page);
    if (per_page <= 0)
        return j0_reply_error(rq, 400, "invalid per_page: %ld", per_page);
    if (per_page > 1000)
        per_page = 1000; /* a deliberate cap: Judge0 has none */
    struct db_conn *db = gw_db(rq);
    char lim[24], off[32];
    snprintf(lim, sizeof lim, "%ld", per_page);
    snprintf(off, sizeof off, "%lld", (long long)(page - 1) * per_page);
    const char *tenant = gw_tenant_filter(rq);
    const char *params[] = {tenant, lim, f.needs_spec ? "true" : "false", off};
    PGresult *r = db_exec(db, STMT_J0_LIST, 4, params);
    PGresult *cnt = r ? db_exec(db, STMT_J0_COUNT, 1, params) : NULL;
    if (!cnt) {
        if (r)
            PQclear(r);
        return gw_reply_db_error(rq, db);
    }
    long long total = db_ll(cnt, 0, 0);
    PQclear(cnt);
    json_t *list = json_array();
    for (int row = 0; row < PQntuples(r); row++) {
        bool not_utf8;
        json_t *doc = j0_submission_json(r, row, &f, b64, &not_utf8);
        if (!doc) {
            PQclear(r);
            json_decref(list);
            return not_utf8 ? j0_reply_error(rq, 400, J0_NOT_UTF8_MANY)
                            : gw_reply_internal(rq, "out of memory");
        }
        json_array_append_new(list, doc);
    }
    PQclear(r);
    long long pages = (total + per_page - 1) / per_page;
    json_t *meta = json_pack("{s:I, s:o, s:o, s:I, s:I}", "current_page", (json_int_t)page,
                             "next_page", page < pages ? json_integer(page + 1) : json_null(),
                             "prev_page", page > 1 ? json_integer(page - 1) : json_null(),
                             "total_pages", (json_int_t)pages, "total_count", (json_int_t)total);
    return gw_reply_json(rq, 200, json_pack("{s:o, s:o}", "submissions", list, "meta", meta));
}

enum gw_result j0_handle_submissions_delete(struct gw_request *rq)
{
    struct j0_fields f;
    bool b64;
    enum gw_result res;
    if (query_options(rq, &f, &b64, &res))
        return res;
    PGresult *r = read_token(rq, rq->param, false, &res);
    if (!r)
        return res;
    int status = j0_status_of_row(r, 0);
    char id[37];
    memcpy(id, PQgetvalue(r, 0, J0C_ID), sizeof id);
    PQclear(r);
    if (status <= 2)
        return j0_reply_error(rq, 400,
                              "submission cannot be deleted because its status is %d (%s)",
                              status, j0_status_name(status));
    struct db_conn *db = gw_db(rq);
    const char *params[] = {id, gw_tenant_filter(rq), f.needs_spec ? "true" : "false"};
    r = db_exec(db, STMT_J0_DELETE, 3, params);
    if (!r)
        return gw_reply_db_error(rq, db);
    if (PQntuples(r) != 1) { /* deleted meanwhile by another request */
        PQclear(r);
        return not_found(rq);
    }
    bool not_utf8;
    /* Judge0 forces base64 here: the data are gone after this answer. */
    json_t *doc = j0_submission_json(r, 0, &f, true, &not_utf8);
    PQclear(r);
    return doc ? gw_reply_json(rq, 200, doc) : gw_reply_internal(rq, "out of memory");
}
