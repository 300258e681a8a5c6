/* The lease loop: long-poll the gateway for as many jobs as there are free slots, plus --prefetch
 * more waiting here, so that a slot that finishes a job starts the next without a round trip. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "runtimes/runtime.h"

/* Jobs are short when they run under this on average: then a lease round trip per job is a good part
 * of a slot's time, and --prefetch -1 leases ahead. Longer jobs are not held back from other executors. */
#define PREFETCH_SHORT_MS 100

long ex_lease_held_max(const struct ex_daemon *d)
{
    const struct ex_config *cfg = d->cfg;
    if (cfg->prefetch >= 0)
        return cfg->slots + cfg->prefetch;
    return cfg->slots + (d->run_ms_avg >= 0 && d->run_ms_avg < PREFETCH_SHORT_MS ? cfg->slots : 0);
}

static json_t *runtimes_array(const struct ex_config *cfg)
{
    json_t *a = json_array();
    for (const char *p = cfg->runtimes; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, len));
        p += len + (end ? 1 : 0);
    }
    return a;
}

/* Take the jobs of one lease answer. A job we cannot even parse is reported failed at once. */
static void take_jobs(struct ex_daemon *d, const json_t *resp)
{
    const json_t *ttl = json_object_get(resp, "lease_ttl_ms");
    size_t i;
    const json_t *j;
    pthread_mutex_lock(&d->mu);
    if (json_is_integer(ttl) && json_integer_value(ttl) > 0)
        d->lease_ttl_ms = (long)json_integer_value(ttl);
    json_array_foreach(json_object_get(resp, "jobs"), i, j)
    {
        struct ex_active *a = calloc(1, sizeof *a);
        if (!a)
            break;
        char err[160];
        if (ex_job_parse(j, &a->job, err, sizeof err)) {
            if (!a->job.id[0] || !a->job.lease[0]) {
                JG_ERROR("executor", "unusable job in a lease answer: %s", err);
                ex_job_free(&a->job);
                free(a);
                continue;
            }
            a->outcome = ex_outcome_failed("ExecutorError", "malformed job: %s", err);
            a->state = EX_POSTING;
            d->posting++;
        } else {
            a->state = atomic_load(&d->stopping) ? EX_RELEASE : EX_QUEUED;
            if (a->state == EX_QUEUED)
                d->queued++;
        }
        /* Append: oldest first. */
        struct ex_active **p = &d->active;
        while (*p)
            p = &(*p)->next;
        *p = a;
    }
    pthread_cond_broadcast(&d->changed);
    pthread_mutex_unlock(&d->mu);
}

void *ex_lease_loop(void *arg)
{
    struct ex_daemon *d = arg;
    const struct ex_config *cfg = d->cfg;
    struct ex_http h;
    /* No abort on SIGTERM: the gateway may already have claimed jobs for this poll; letting it
     * answer lets us hand them back at once instead of leaving them to a lease expiry. */
    if (ex_http_init(&h, cfg, NULL)) {
        JG_ERROR("executor", "lease loop: cannot create an HTTP handle");
        return NULL;
    }
    json_t *body = json_pack("{s:s, s:s, s:o, s:I, s:I, s:I}", "executor_id", d->executor_id, "name", cfg->name,
                             "runtimes", runtimes_array(cfg), "slots", (json_int_t)cfg->slots, "max_jobs",
                             (json_int_t)1, "wait", (json_int_t)cfg->lease_wait_s);
    if (d->runtime_info) /* once: what we run for each runtime (GET /runtimes) */
        json_object_set(body, "runtime_info", d->runtime_info);
    long backoff_ms = 0;
    bool was_down = false;
    while (!atomic_load(&d->stopping)) {
        pthread_mutex_lock(&d->mu);
        while (!atomic_load(&d->stopping) && d->queued + d->running >= ex_lease_held_max(d))
            pthread_cond_wait(&d->changed, &d->mu);
        long free_slots = ex_lease_held_max(d) - d->queued - d->running;
        if (backoff_ms && !atomic_load(&d->stopping))
            ex_daemon_wait(d, backoff_ms);
        pthread_mutex_unlock(&d->mu);
        if (atomic_load(&d->stopping))
            break;
        json_object_set_new(body, "max_jobs", json_integer(free_slots > 256 ? 256 : free_slots));
        json_t *resp;
        long st = ex_http_json(&h, "POST", "/executor/lease", body, cfg->lease_wait_s, &resp);
        if (st == 200 && json_is_array(json_object_get(resp, "jobs"))) {
            if (was_down)
                JG_INFO("executor", "gateway reachable again");
            was_down = false;
            backoff_ms = 0;
            json_object_del(body, "runtime_info");
            take_jobs(d, resp);
        } else if (st != -ECANCELED) {
            backoff_ms = backoff_ms ? (backoff_ms * 2 > 10000 ? 10000 : backoff_ms * 2) : 200;
            if (!was_down || st == 401 || st == 403 || st == 422)
                JG_WARN("executor", "lease: %s (HTTP %ld%s%s); retrying with back-off",
                        st < 0 ? h.error : "refused", st < 0 ? 0 : st,
                        resp && json_object_get(resp, "detail") ? ": " : "",
                        resp && json_object_get(resp, "detail") ? json_string_value(json_object_get(resp, "detail")) : "");
            was_down = true;
        }
        json_decref(resp);
    }
    json_decref(body);
    ex_http_close(&h);
    return NULL;
}
