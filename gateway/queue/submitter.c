#include "submitter.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "handlers/handlers.h"
#include "handlers/jobs_submit.h"
#include "http/server.h"
#include "jobs/job_json.h"
#include "log.h"

#define MAX_JOBS_PER_COMMIT 2000
#define NCOLS 11

struct gw_submitter {
    struct gw_ctx *gw;
    struct db_conn *db;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct gw_submission *head, *tail;
    bool stop;
    pthread_t thread;
};

PGresult *gw_jobs_insert(struct db_conn *db, struct gw_submission *const *subs, size_t count)
{
    struct jg_buf a[NCOLS];
    int rc = 0;
    for (int c = 0; c < NCOLS; c++) {
        jg_buf_init(&a[c], (size_t)1 << 31);
        rc |= jg_buf_append(&a[c], "{", 1);
    }
    bool first = true;
    for (size_t k = 0; k < count && !rc; k++) {
        const struct gw_submission *s = subs[k];
        char token[24];
        snprintf(token, sizeof token, "%lld", s->token_id);
        for (size_t i = 0; i < s->n && !rc; i++) {
            const struct gw_job_input *in = &s->in[i];
            char prio[24], ma[24], idem[256];
            snprintf(prio, sizeof prio, "%ld", in->priority);
            snprintf(ma, sizeof ma, "%ld", in->max_attempts);
            if (s->idem_key) {
                if (s->batch)
                    snprintf(idem, sizeof idem, "%s#%zu", s->idem_key, i);
                else
                    snprintf(idem, sizeof idem, "%s", s->idem_key);
            }
            const char *vals[NCOLS] = {s->tenant, token, in->runtime, gw_kind_name(in->kind), prio,
                                       ma, in->labels_text, s->idem_key ? idem : NULL,
                                       s->idem_key ? s->idem_hash : NULL, in->spec_text,
                                       in->limits_text};
            for (int c = 0; c < NCOLS; c++)
                rc |= gw_pg_array_add(&a[c], vals[c], first);
            first = false;
        }
    }
    for (int c = 0; c < NCOLS; c++)
        rc |= jg_buf_append(&a[c], "}", 1);
    PGresult *r = NULL;
    if (rc) {
        db->err = DB_FAILED;
        snprintf(db->errmsg, sizeof db->errmsg, "out of memory building a submit");
    } else {
        const char *params[NCOLS];
        for (int c = 0; c < NCOLS; c++)
            params[c] = a[c].data;
        r = db_exec(db, STMT_JOBS_INSERT, NCOLS, params);
    }
    for (int c = 0; c < NCOLS; c++)
        jg_buf_free(&a[c]);
    return r;
}

static void commit_group(struct gw_submitter *s, struct gw_submission **subs, size_t count)
{
    size_t total = 0;
    for (size_t k = 0; k < count; k++)
        total += subs[k]->n;
    PGresult *r = gw_jobs_insert(s->db, subs, count);
    if (r && (size_t)PQntuples(r) != total) { /* cannot happen without idempotency keys */
        JG_ERROR("submit", "inserted %d rows for %zu jobs", PQntuples(r), total);
        PQclear(r);
        r = NULL;
        s->db->err = DB_FAILED;
    }
    if (!r)
        JG_WARN("submit", "group of %zu job(s) not committed: %s", total, s->db->errmsg);
    if (r) /* once per commit, before the answers: one wake-up for the dispatcher and notifier */
        gw_jobs_announce(s->gw, total);
    size_t row = 0;
    for (size_t k = 0; k < count; k++) {
        struct gw_submission *sub = subs[k];
        sub->done = false;
        sub->db_error = s->db->err;
        if (r) {
            sub->ids = calloc(sub->n, sizeof *sub->ids);
            sub->created = calloc(sub->n, sizeof *sub->created);
            if (sub->ids && sub->created) {
                for (size_t i = 0; i < sub->n; i++, row++) {
                    snprintf(sub->ids[i], sizeof sub->ids[i], "%s", PQgetvalue(r, (int)row, 0));
                    gw_timestamp_iso(PQgetvalue(r, (int)row, 1), sub->created[i],
                                     sizeof sub->created[i]);
                }
                sub->done = true;
            } else {
                row += sub->n; /* committed, but we cannot say which ids: answer 500 */
                sub->db_error = DB_FAILED;
            }
        }
        gw_server_resume(sub->rq);
    }
    if (r)
        PQclear(r);
}

static void *submitter_main(void *arg)
{
    struct gw_submitter *s = arg;
    struct gw_submission **group = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stop)
            pthread_cond_wait(&s->wake, &s->lock);
        if (!s->head && s->stop)
            break;
        /* Everything waiting, up to a cap per commit. */
        size_t count = 0, jobs = 0;
        while (s->head && (count == 0 || jobs + s->head->n <= MAX_JOBS_PER_COMMIT)) {
            if (count == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                struct gw_submission **g = realloc(group, ncap * sizeof *g);
                if (!g)
                    break;
                group = g;
                cap = ncap;
            }
            struct gw_submission *sub = s->head;
            s->head = sub->next;
            if (!s->head)
                s->tail = NULL;
            sub->next = NULL;
            group[count++] = sub;
            jobs += sub->n;
        }
        pthread_mutex_unlock(&s->lock);
        if (count)
            commit_group(s, group, count);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    free(group);
    return NULL;
}

struct gw_submitter *gw_submitter_new(struct gw_ctx *gw)
{
    struct gw_submitter *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->gw = gw;
    s->db = db_open(gw->cfg.database_url, "submitter", NULL);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (!s->db || pthread_create(&s->thread, NULL, submitter_main, s)) {
        db_close(s->db);
        free(s);
        return NULL;
    }
    return s;
}

void gw_submitter_free(struct gw_submitter *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true; /* the thread commits what is queued before it stops */
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    db_close(s->db);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}

void gw_submitter_enqueue(struct gw_submitter *s, struct gw_submission *sub)
{
    pthread_mutex_lock(&s->lock);
    MHD_suspend_connection(sub->rq->conn);
    sub->next = NULL;
    if (s->tail)
        s->tail->next = sub;
    else
        s->head = sub;
    s->tail = sub;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

void gw_submission_free(struct gw_submission *sub)
{
    if (!sub)
        return;
    for (size_t i = 0; sub->in && i < sub->n; i++)
        gw_job_input_free(&sub->in[i]);
    free(sub->in);
    free(sub->ids);
    free(sub->created);
    free(sub);
}
