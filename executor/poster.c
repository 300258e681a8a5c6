/* The result poster: post each finished outcome until the gateway accepts it (200), refuses it for
 * good (409 stale lease, 404), or the heartbeat says the lease is lost. Network errors and 5xx are
 * retried with back-off: a finished result is never dropped for a transient failure. Outcomes that
 * are ready together go in one POST /executor/results (one commit for all); one alone, and every
 * outcome of a batch the gateway refused as a whole, goes by PUT /jobs/<id>/result. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "runtimes/runtime.h"

static long now_ms(void)
{
    return ex_now_ms();
}

/* A running judged job whose progress is due, or NULL; *next_ms gets the wait until the next one
 * is due (or is left alone). Caller holds d->mu. */
static struct ex_active *progress_due(struct ex_daemon *d, long *next_ms)
{
    long now = now_ms();
    for (struct ex_active *a = d->active; a; a = a->next) {
        if (a->state != EX_RUNNING || !a->progress_dirty || a->drop)
            continue;
        long wait = a->progress_posted_ms + EX_PROGRESS_INTERVAL_MS - now;
        if (wait <= 0)
            return a;
        if (wait < *next_ms)
            *next_ms = wait;
    }
    return NULL;
}

/* PUT the tests finished so far (d->mu held; released during the request). Refusals are left to
 * the heartbeat, which decides whether the lease is lost. */
static void post_progress(struct ex_daemon *d, struct ex_http *h, struct ex_active *a)
{
    char path[96];
    snprintf(path, sizeof path, "/jobs/%s/progress", a->job.id);
    /* A copy: the worker keeps appending to a->progress while the request is under way. */
    json_t *body = json_pack("{s:s, s:I, s:I, s:o}", "lease", a->job.lease, "done",
                             (json_int_t)json_array_size(a->progress), "total",
                             (json_int_t)a->progress_total, "tests", json_deep_copy(a->progress));
    a->progress_dirty = false;
    a->progress_posted_ms = now_ms();
    pthread_mutex_unlock(&d->mu);
    json_t *resp = NULL;
    long st = body ? ex_http_json(h, "PUT", path, body, 0, &resp) : -ENOMEM;
    if (st != 200)
        JG_DEBUG("executor", "progress of %s not recorded (%ld)", path, st);
    json_decref(resp);
    json_decref(body);
    pthread_mutex_lock(&d->mu);
}

#define BATCH_MAX 256 /* the gateway's limit per POST /executor/results */

/* One POST /executor/results with the outcomes to post (d->mu held; released during the request).
 * Returns 1 when it was answered (each job is then recorded, refused, or left for a retry), 0 when the
 * gateway refused the batch as a whole (the caller posts them one by one), -1 on a transient failure. */
static int post_batch(struct ex_daemon *d, struct ex_http *h, long *n_out)
{
    static char ids[BATCH_MAX][37];
    long n = 0;
    json_t *results = json_array();
    for (struct ex_active *a = d->active; a && n < BATCH_MAX; a = a->next) {
        if (a->state != EX_POSTING || a->drop)
            continue;
        json_t *r = json_copy(a->outcome);
        json_object_set_new(r, "job_id", json_string(a->job.id));
        json_object_set_new(r, "lease", json_string(a->job.lease));
        json_array_append_new(results, r);
        memcpy(ids[n++], a->job.id, sizeof ids[0]);
    }
    *n_out = n;
    json_t *body = json_pack("{s:s, s:o}", "executor_id", d->executor_id, "results", results);
    pthread_mutex_unlock(&d->mu);
    json_t *resp = NULL;
    long st = body ? ex_http_json(h, "POST", "/executor/results", body, 0, &resp) : -ENOMEM;
    json_decref(body);
    pthread_mutex_lock(&d->mu);
    int rc = st == 200 ? 1 : st >= 400 && st < 500 && st != 408 && st != 429 ? 0 : -1;
    size_t i;
    const json_t *r;
    json_array_foreach(rc == 1 ? json_object_get(resp, "results") : NULL, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "job_id"));
        struct ex_active *a = id ? ex_daemon_find(d, id) : NULL; /* the heartbeat may have dropped it */
        if (!a || a->state != EX_POSTING)
            continue;
        if (json_is_true(json_object_get(r, "recorded"))) {
            d->results_posted++;
        } else {
            JG_WARN("executor", "job %s: result refused (%s); dropped", id,
                    json_string_value(json_object_get(r, "reason")));
            d->results_dropped++;
        }
        ex_daemon_unlink(d, a);
    }
    if (rc == 0)
        JG_WARN("executor", "a batch of %ld results was refused (HTTP %ld: %s); posting them one by one", n, st,
                json_string_value(json_object_get(resp, "detail")));
    else if (rc < 0)
        JG_WARN("executor", "job %s and %ld more: posting the result failed (%s, HTTP %ld)", ids[0], n - 1,
                st < 0 ? h->error : "server error", st < 0 ? 0 : st);
    json_decref(resp);
    return rc;
}

void *ex_poster_loop(void *arg)
{
    struct ex_daemon *d = arg;
    struct ex_http h;
    if (ex_http_init(&h, d->cfg, NULL)) {
        JG_ERROR("executor", "poster: cannot create an HTTP handle");
        return NULL;
    }
    long backoff_ms = 0, next_try = 0, singles = 0;
    pthread_mutex_lock(&d->mu);
    while (!atomic_load(&d->done)) {
        struct ex_active *a, *more = NULL;
        for (a = d->active; a && (a->state != EX_POSTING || a->drop); a = a->next)
            ;
        for (more = a ? a->next : NULL; more && (more->state != EX_POSTING || more->drop); more = more->next)
            ;
        long wait_ms = backoff_ms ? next_try - now_ms() : 0;
        if (!a || wait_ms > 0) {
            long next = !a ? 1000 : wait_ms;
            struct ex_active *p = progress_due(d, &next);
            if (p)
                post_progress(d, &h, p);
            else
                ex_daemon_wait(d, next);
            continue;
        }
        if (more && singles <= 0) {
            long n;
            int rc = post_batch(d, &h, &n);
            if (rc == 0) {
                singles = n; /* one of them is wrong: each gets the gateway's own answer */
            } else if (rc > 0) {
                backoff_ms = 0;
            } else {
                backoff_ms = backoff_ms ? (backoff_ms * 2 > 10000 ? 10000 : backoff_ms * 2) : 100;
                next_try = now_ms() + backoff_ms;
            }
            continue;
        }
        singles--;
        char path[96], id[37];
        snprintf(path, sizeof path, "/jobs/%s/result", a->job.id);
        memcpy(id, a->job.id, sizeof id);
        json_t *body = json_copy(a->outcome);
        json_object_set_new(body, "lease", json_string(a->job.lease));
        pthread_mutex_unlock(&d->mu);
        json_t *resp;
        long st = ex_http_json(&h, "PUT", path, body, 0, &resp);
        json_decref(body);
        pthread_mutex_lock(&d->mu);
        a = ex_daemon_find(d, id); /* the heartbeat may have dropped it meanwhile */
        if (!a) {
            json_decref(resp);
            continue;
        }
        if (st == 200) {
            d->results_posted++;
            backoff_ms = 0;
            ex_daemon_unlink(d, a);
        } else if (st == 409 || st == 404) {
            JG_WARN("executor", "job %s: result refused (HTTP %ld: %s); dropped", id, st,
                    json_string_value(json_object_get(resp, "detail")));
            d->results_dropped++;
            ex_daemon_unlink(d, a);
        } else if (st >= 400 && st < 500 && st != 408 && st != 429) {
            /* Our document is wrong: say so in a result the gateway accepts rather than retry forever. */
            const char *detail = json_string_value(json_object_get(resp, "detail"));
            JG_ERROR("executor", "job %s: result rejected (HTTP %ld: %s)", id, st, detail ? detail : "");
            json_decref(a->outcome);
            a->outcome = ex_outcome_failed("ExecutorError", "the gateway rejected the result: %s",
                                           detail ? detail : "invalid");
        } else {
            backoff_ms = backoff_ms ? (backoff_ms * 2 > 10000 ? 10000 : backoff_ms * 2) : 100;
            next_try = now_ms() + backoff_ms;
            JG_WARN("executor", "job %s: posting the result failed (%s, HTTP %ld); retry in %ld ms", id,
                    st < 0 ? h.error : "server error", st < 0 ? 0 : st, backoff_ms);
        }
        json_decref(resp);
    }
    pthread_mutex_unlock(&d->mu);
    ex_http_close(&h);
    return NULL;
}
