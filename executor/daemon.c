/* The lease list shared by the daemon's threads, the slot workers, and the hand-back of leases. */
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "runtimes/runtime.h"

struct ex_daemon *ex_the_daemon;

void ex_daemon_unlink(struct ex_daemon *d, struct ex_active *a)
{
    for (struct ex_active **p = &d->active; *p; p = &(*p)->next) {
        if (*p == a) {
            *p = a->next;
            break;
        }
    }
    if (a->state == EX_QUEUED)
        d->queued--;
    else if (a->state == EX_POSTING)
        d->posting--;
    ex_job_free(&a->job);
    json_decref(a->outcome);
    json_decref(a->progress);
    free(a);
    pthread_cond_broadcast(&d->changed);
}

struct ex_active *ex_daemon_find(struct ex_daemon *d, const char *job_id)
{
    for (struct ex_active *a = d->active; a; a = a->next)
        if (strcmp(a->job.id, job_id) == 0)
            return a;
    return NULL;
}

json_t *ex_daemon_lease_list(struct ex_daemon *d, int only)
{
    json_t *leases = json_array();
    for (struct ex_active *a = d->active; a; a = a->next)
        if (!a->drop && (only < 0 || (int)a->state == only))
            json_array_append_new(leases, json_pack("{s:s, s:s}", "job_id", a->job.id, "lease", a->job.lease));
    return json_pack("{s:s, s:o}", "executor_id", d->executor_id, "leases", leases);
}

void ex_daemon_wait(struct ex_daemon *d, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&d->changed, &d->mu, &ts);
}

void ex_daemon_release(struct ex_daemon *d, struct ex_http *h)
{
    pthread_mutex_lock(&d->mu);
    json_t *body = ex_daemon_lease_list(d, EX_RELEASE);
    pthread_mutex_unlock(&d->mu);
    size_t n = json_array_size(json_object_get(body, "leases"));
    for (int attempt = 0; n > 0 && attempt < 5; attempt++) {
        json_t *resp;
        long st = ex_http_json(h, "POST", "/executor/release", body, 0, &resp);
        json_decref(resp);
        if (st == 200) {
            JG_INFO("executor", "handed back %zu job(s) to the queue", n);
            break;
        }
        JG_WARN("executor", "release: %s (status %ld), retrying", st < 0 ? h->error : "refused", st);
        struct timespec ts = {0, 200000000L << (attempt < 2 ? attempt : 2)};
        nanosleep(&ts, NULL);
    }
    json_decref(body);
    pthread_mutex_lock(&d->mu);
    for (struct ex_active *a = d->active, *next; a; a = next) {
        next = a->next;
        if (a->state == EX_RELEASE) {
            d->released++;
            ex_daemon_unlink(d, a);
        }
    }
    pthread_mutex_unlock(&d->mu);
}

long ex_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The tests a judged job finished so far, for the poster (runtime.h: ex_exec.progress). Slim
 * records: no output excerpts, so a progress update stays small however long the test list. */
static void on_progress(void *ctx, const json_t *tests, size_t total)
{
    static const char *const keep[] = {"index", "verdict", "usage", "exit_code", "signal",
                                       "points", "group", NULL};
    struct ex_active *a = ctx;
    struct ex_daemon *d = ex_the_daemon;
    pthread_mutex_lock(&d->mu);
    if (!a->progress)
        a->progress = json_array();
    for (size_t i = json_array_size(a->progress); i < json_array_size(tests); i++) {
        const json_t *rec = json_array_get(tests, i);
        json_t *slim = json_object();
        for (const char *const *k = keep; *k; k++)
            if (json_object_get(rec, *k))
                json_object_set(slim, *k, json_object_get(rec, *k));
        json_array_append_new(a->progress, slim);
    }
    a->progress_total = total;
    a->progress_dirty = true;
    if (ex_now_ms() - a->progress_posted_ms >= EX_PROGRESS_INTERVAL_MS)
        pthread_cond_broadcast(&d->changed);
    pthread_mutex_unlock(&d->mu);
}

/* One slot: take the oldest QUEUED job, run it, hand the outcome to the poster. */
void *ex_worker(void *arg)
{
    struct ex_runner *runner = arg;
    struct ex_daemon *d = ex_the_daemon;
    struct ex_http http; /* this slot's own connection: test data downloads */
    bool have_http = ex_http_init(&http, d->cfg, NULL) == 0;
    ex_python_warm_up(runner, d->cfg); /* a warm interpreter before the first call job, not during it */
    pthread_mutex_lock(&d->mu);
    for (;;) {
        struct ex_active *a = NULL;
        while (!atomic_load(&d->stopping)) {
            for (a = d->active; a && a->state != EX_QUEUED; a = a->next)
                ;
            if (a)
                break;
            pthread_cond_wait(&d->changed, &d->mu);
        }
        if (!a)
            break;
        a->state = EX_RUNNING;
        a->slot = (int)runner->slot;
        d->queued--;
        d->running++;
        pthread_mutex_unlock(&d->mu);

        JG_DEBUG("executor", "slot %u: job %s (%s %s, attempt %ld)", runner->slot, a->job.id, a->job.runtime,
                 a->job.kind == EX_KIND_CALL ? "call" : a->job.kind == EX_KIND_FUNCTION ? "function" : "program",
                 a->job.attempt);
        runner->network = ex_job_network(&a->job, d->cfg);
        if (runner->network == SBX_NETWORK_HOST)
            JG_INFO("executor", "job %s runs with the network (--allow-network-*)", a->job.id);
        struct ex_exec x = {runner, d->cfg, &a->cancelled, have_http ? &http : NULL, d->cache,
                            on_progress, a};
        json_t *outcome = NULL;
        long started_ms = ex_now_ms();
        int rc = ex_runtime_run(&x, &a->job, &outcome);
        if (!rc && !outcome)
            outcome = ex_outcome_failed("ExecutorError", "out of memory");
        long run_ms = ex_now_ms() - started_ms;

        pthread_mutex_lock(&d->mu);
        d->running--;
        d->jobs_run++;
        d->run_ms_avg = d->run_ms_avg < 0 ? run_ms : (7 * d->run_ms_avg + run_ms) / 8;
        if (a->release) {
            a->state = EX_RELEASE;
            json_decref(outcome);
        } else if (a->drop || rc == -ECANCELED) {
            JG_INFO("executor", "job %s: run stopped (cancelled or lease lost), nothing posted", a->job.id);
            json_decref(outcome);
            ex_daemon_unlink(d, a);
        } else {
            const char *v = json_string_value(json_object_get(outcome, "verdict"));
            JG_INFO("executor", "job %s: %s %s", a->job.id, json_string_value(json_object_get(outcome, "status")),
                    v ? v : "");
            a->outcome = outcome;
            a->state = EX_POSTING;
            d->posting++;
        }
        pthread_cond_broadcast(&d->changed);
    }
    pthread_mutex_unlock(&d->mu);
    if (have_http)
        ex_http_close(&http);
    return NULL;
}
