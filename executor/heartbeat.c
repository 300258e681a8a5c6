/* The heartbeat: renew every held lease each lease_ttl/3; kill or forget what the gateway cancels. */
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void apply_cancels(struct ex_daemon *d, const json_t *resp)
{
    size_t i;
    const json_t *c;
    pthread_mutex_lock(&d->mu);
    const json_t *ttl = json_object_get(resp, "lease_ttl_ms");
    if (json_is_integer(ttl) && json_integer_value(ttl) > 0)
        d->lease_ttl_ms = (long)json_integer_value(ttl);
    json_array_foreach(json_object_get(resp, "cancel"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "job_id"));
        const char *why = json_string_value(json_object_get(c, "reason"));
        struct ex_active *a = id ? ex_daemon_find(d, id) : NULL;
        if (!a)
            continue;
        JG_INFO("executor", "job %s: %s by the gateway", id, why ? why : "cancelled");
        a->drop = true;
        if (a->state == EX_RUNNING) {
            atomic_store(&a->cancelled, true);
            ex_runner_cancel(&d->runners[a->slot]);
        } else {
            d->results_dropped += a->state == EX_POSTING;
            ex_daemon_unlink(d, a);
        }
    }
    pthread_mutex_unlock(&d->mu);
}

void *ex_heartbeat_loop(void *arg)
{
    struct ex_daemon *d = arg;
    struct ex_http h;
    if (ex_http_init(&h, d->cfg, NULL)) {
        JG_ERROR("executor", "heartbeat: cannot create an HTTP handle");
        return NULL;
    }
    pthread_mutex_lock(&d->mu);
    long last = now_ms();
    while (!atomic_load(&d->done)) {
        /* Other changes wake us too: keep our own schedule, from the TTL the gateway last gave. */
        long period = d->lease_ttl_ms / 3 < 50 ? 50 : d->lease_ttl_ms / 3;
        long left = last + period - now_ms();
        if (left > 0) {
            ex_daemon_wait(d, left);
            continue;
        }
        last = now_ms();
        if (!d->active)
            continue;
        json_t *body = ex_daemon_lease_list(d, -1);
        pthread_mutex_unlock(&d->mu);
        json_t *resp;
        long st = ex_http_json(&h, "POST", "/executor/heartbeat", body, 0, &resp);
        json_decref(body);
        if (st == 200)
            apply_cancels(d, resp);
        else
            JG_WARN("executor", "heartbeat: %s (HTTP %ld)", st < 0 ? h.error : "refused", st < 0 ? 0 : st);
        json_decref(resp);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    ex_http_close(&h);
    return NULL;
}
