/* jobgate-executor: pull jobs from the gateway, run them in the sandbox, post the results.
 * Start-up: options, what the host can enforce (refusing to start below --min-isolation), one box
 * per slot; then the threads of daemon.h; SIGTERM/SIGINT drain as described there. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "daemon.h"
#include "log.h"
#include "random.h"
#include "runtimes/runtime.h"
#include "sandbox.h"

static int make_uuid(char out[37])
{
    unsigned char b[16];
    int rc = jg_random_bytes(b, sizeof b);
    if (rc)
        return rc;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

/* Log the probe line by line, and the isolation level it allows. */
static enum ex_isolation host_level(const struct sbx_caps *caps)
{
    char copy[sizeof caps->desc];
    snprintf(copy, sizeof copy, "%s", caps->desc);
    for (char *save, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        JG_INFO("executor", "host: %s", line);
    char missing[512];
    if (sbx_caps_check(caps, SBX_CAPS_STRICT, missing, sizeof missing) == 0)
        return EX_ISOLATION_STRICT;
    JG_INFO("executor", "host: not strict; missing: %s", missing);
    if (sbx_caps_check(caps, SBX_CAPS_MINIMUM, missing, sizeof missing) == 0)
        return EX_ISOLATION_MINIMUM;
    JG_INFO("executor", "host: below minimum; missing: %s", missing);
    return EX_ISOLATION_NONE;
}

/* Set up the slots' runners. Returns 0, or 1 (refuse to start: message logged). */
static int setup_runners(struct ex_daemon *d, struct sbx_ctx **ctx)
{
    const struct ex_config *cfg = d->cfg;
    struct sbx_caps caps;
    memset(&caps, 0, sizeof caps);
    int rc = sbx_probe(&caps);
    enum ex_isolation level = rc ? EX_ISOLATION_NONE : host_level(&caps);
    if (rc)
        JG_WARN("executor", "host probe failed: %s", strerror(-rc));
    bool bare = strcmp(cfg->backend, "bare") == 0;
    JG_INFO("executor", "host: allows '%s' isolation", ex_isolation_name(level));
    if (!bare && level < cfg->min_isolation) {
        JG_ERROR("executor", "this host allows only '%s' isolation, below --min-isolation %s: refusing to run "
                             "untrusted jobs (see the host: lines above for what is missing)",
                 ex_isolation_name(level), ex_isolation_name(cfg->min_isolation));
        return 1;
    }
    for (long i = 0; i < cfg->slots; i++) {
        struct ex_runner *r = &d->runners[i];
        r->slot = (unsigned)i;
        r->uid = (uid_t)(cfg->first_uid + i);
        snprintf(r->work_dir, sizeof r->work_dir, "%s", cfg->work_dir);
    }
    if (!bare) {
        /* A cgroup of our own: several executors (or a crashed one's leftovers) on one host must not
         * share box cgroups. */
        static char cgname[64];
        snprintf(cgname, sizeof cgname, "jobgate-executor-%ld", (long)getpid());
        struct sbx_config sc = {.first_uid = (uid_t)cfg->first_uid, .cgroup_name = cgname,
                                .required = level == EX_ISOLATION_STRICT ? SBX_CAPS_STRICT : SBX_CAPS_MINIMUM};
        char err[512] = "";
        rc = sbx_ctx_init(ctx, &sc, err, sizeof err);
        for (long i = 0; !rc && i < cfg->slots; i++)
            rc = sbx_box_init(*ctx, (unsigned)i, &d->runners[i].box, err, sizeof err);
        if (rc) {
            if (cfg->min_isolation > EX_ISOLATION_NONE) {
                JG_ERROR("executor", "the sandbox cannot start (%s): refusing to run untrusted jobs", err);
                return 1;
            }
            JG_WARN("executor", "the sandbox cannot start (%s); --min-isolation none: falling back to the "
                                "bare backend", err);
            bare = true;
        }
    }
    if (bare) {
        for (long i = 0; i < cfg->slots; i++) {
            if (d->runners[i].box)
                sbx_box_close(d->runners[i].box);
            d->runners[i].box = NULL;
        }
        JG_WARN("executor", "enforcing: NOTHING beyond rlimits (bare backend: no namespaces, no seccomp, no "
                            "cgroups; uid %ld+slot when root). Development only.", cfg->first_uid);
    } else {
        JG_INFO("executor", "enforcing: %s isolation (sandbox: namespaces, seccomp, uid %ld+slot%s)",
                ex_isolation_name(level), cfg->first_uid,
                level == EX_ISOLATION_STRICT ? ", cgroup memory/pids/cpu" : ", rlimits instead of cgroups");
    }
    return 0;
}

/* SIGTERM: stop leasing, hand back what has not started, give running jobs the grace period, then
 * stop and hand back the rest; finally wait (bounded) for the results still being posted. */
static void drain(struct ex_daemon *d)
{
    const struct ex_config *cfg = d->cfg;
    struct ex_http h;
    int hrc = ex_http_init(&h, cfg, NULL);
    pthread_mutex_lock(&d->mu);
    JG_INFO("executor", "stopping: %ld running, %ld queued, %ld results to post; grace %ld s", d->running,
            d->queued, d->posting, cfg->grace_s);
    for (struct ex_active *a = d->active; a; a = a->next) {
        if (a->state == EX_QUEUED) {
            a->state = EX_RELEASE;
            d->queued--;
        }
    }
    pthread_cond_broadcast(&d->changed);
    pthread_mutex_unlock(&d->mu);
    if (!hrc)
        ex_daemon_release(d, &h);

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pthread_mutex_lock(&d->mu);
    bool killed = false;
    while (d->running > 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (!killed && elapsed >= cfg->grace_s * 1000) {
            JG_WARN("executor", "grace period over: stopping %ld running job(s) and handing them back", d->running);
            for (struct ex_active *a = d->active; a; a = a->next) {
                if (a->state == EX_RUNNING) {
                    a->release = true;
                    atomic_store(&a->cancelled, true);
                    ex_runner_cancel(&d->runners[a->slot]);
                }
            }
            killed = true;
        }
        ex_daemon_wait(d, killed ? 100 : 200);
    }
    pthread_mutex_unlock(&d->mu);
    if (!hrc)
        ex_daemon_release(d, &h);

    /* Results still to post: the poster keeps trying while the leases are alive (heartbeat). */
    long limit_ms = d->lease_ttl_ms > 10000 ? d->lease_ttl_ms : 10000;
    pthread_mutex_lock(&d->mu);
    for (long waited = 0; d->posting > 0 && waited < limit_ms; waited += 100)
        ex_daemon_wait(d, 100);
    if (d->posting > 0)
        JG_ERROR("executor", "%ld result(s) could not be posted before exit; their leases will expire and "
                             "the jobs run again", d->posting);
    pthread_mutex_unlock(&d->mu);
    if (!hrc)
        ex_http_close(&h);
}

int main(int argc, char **argv)
{
    struct ex_config cfg;
    switch (ex_config_load(&cfg, argc, argv)) {
    case EX_CONFIG_HELP:
        ex_config_usage(stdout);
        return 0;
    case EX_CONFIG_ERROR:
        return 2;
    case EX_CONFIG_OK:
        break;
    }
    jg_log_set_level(cfg.log_level);
    /* Signals go to main only (sigwait); every thread inherits this mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        JG_ERROR("executor", "libcurl initialisation failed");
        return 1;
    }

    static struct ex_daemon d;
    d.cfg = &cfg;
    d.lease_ttl_ms = 30000;
    d.run_ms_avg = -1;
    pthread_mutex_init(&d.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&d.changed, &ca);
    ex_the_daemon = &d;
    if (make_uuid(d.executor_id)) {
        JG_ERROR("executor", "no randomness for the executor id");
        return 1;
    }
    d.runners = calloc((size_t)cfg.slots, sizeof *d.runners);
    struct sbx_ctx *ctx = NULL;
    if (!d.runners)
        return 1;
    if (setup_runners(&d, &ctx))
        return 1;
    char cerr[512];
    if (ex_cache_open(&d.cache, cfg.cache_dir, (uint64_t)cfg.cache_mb << 20, cerr, sizeof cerr))
        JG_WARN("executor", "no test data cache (%s): jobs naming a stored problem will fail", cerr);
    d.runtime_info = ex_runtime_info(&cfg);
    JG_INFO("executor", "executor %s (%s): %ld slot(s), runtimes %s, gateway %s", d.executor_id, cfg.name,
            cfg.slots, cfg.runtimes, cfg.gateway);

    pthread_t lease, hb, poster, *workers = calloc((size_t)cfg.slots, sizeof *workers);
    if (!workers)
        return 1;
    for (long i = 0; i < cfg.slots; i++)
        pthread_create(&workers[i], NULL, ex_worker, &d.runners[i]);
    pthread_create(&hb, NULL, ex_heartbeat_loop, &d);
    pthread_create(&poster, NULL, ex_poster_loop, &d);
    pthread_create(&lease, NULL, ex_lease_loop, &d);

    int sig = 0;
    sigwait(&set, &sig);
    JG_INFO("executor", "%s received: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    pthread_mutex_lock(&d.mu);
    atomic_store(&d.stopping, true);
    pthread_cond_broadcast(&d.changed);
    pthread_mutex_unlock(&d.mu);
    drain(&d);
    for (long i = 0; i < cfg.slots; i++)
        pthread_join(workers[i], NULL);
    pthread_join(lease, NULL); /* its last poll may bring jobs: they are in state RELEASE */
    struct ex_http h;
    if (ex_http_init(&h, &cfg, NULL) == 0) {
        ex_daemon_release(&d, &h);
        ex_http_close(&h);
    }
    pthread_mutex_lock(&d.mu);
    atomic_store(&d.done, true);
    pthread_cond_broadcast(&d.changed);
    pthread_mutex_unlock(&d.mu);
    pthread_join(hb, NULL);
    pthread_join(poster, NULL);
    /* Leases left (results never accepted) expire on the gateway and the jobs run again. */
    while (d.active)
        ex_daemon_unlink(&d, d.active);
    JG_INFO("executor", "stopped: %ld run, %ld results posted, %ld dropped, %ld handed back", d.jobs_run,
            d.results_posted, d.results_dropped, d.released);
    if (d.cache) {
        struct ex_cache_stats cs;
        ex_cache_stats(d.cache, &cs);
        JG_INFO("executor", "test data cache: %ld hit(s), %ld miss(es), %ld eviction(s), %ld file(s), %llu bytes",
                cs.hits, cs.misses, cs.evictions, cs.entries, (unsigned long long)cs.bytes);
        ex_cache_close(d.cache);
    }
    json_decref(d.runtime_info);
    for (long i = 0; i < cfg.slots; i++)
        if (d.runners[i].box)
            sbx_box_close(d.runners[i].box);
    if (ctx)
        sbx_ctx_close(ctx);
    free(workers);
    free(d.runners);
    curl_global_cleanup();
    return 0;
}
