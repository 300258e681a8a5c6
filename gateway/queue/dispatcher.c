#include "dispatcher.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "db/db.h"
#include "http/server.h"
#include "jobs/job_json.h"
#include "log.h"
#include "metrics.h"

struct gw_dispatcher {
    struct gw_ctx *gw;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct gw_lease_wait *head, *tail; /* FIFO: executors are served in arrival order */
    bool kicked;  /* work may have arrived: claim for every parked executor */
    bool pending; /* a new executor parked: claim for it */
    bool stop;
    pthread_t thread;
    struct db_conn *db;
};

/* Write @p w's response from rows [first, first + n) of @p r: the lease answer, as today. */
static int lease_body(struct gw_lease_wait *w, const PGresult *r, int first, int n)
{
    /* The spec and labels columns are already JSON: splice them in rather than parse and re-encode them.
     * Labels go to executors so that an administrator can grant some jobs the network by label. */
    struct jg_buf out;
    jg_buf_init(&out, (size_t)1 << 31);
    int rc = jg_buf_printf(&out, "{\"jobs\":[");
    for (int i = first; i < first + n && !rc; i++) {
        char until[40];
        gw_timestamp_iso(db_str(r, i, 4), until, sizeof until);
        rc = jg_buf_printf(&out,
                           "%s{\"id\":\"%s\",\"attempt\":%s,\"lease\":\"%s\","
                           "\"lease_expires_at\":\"%s\",\"runtime\":",
                           i > first ? "," : "", db_str(r, i, 1), db_str(r, i, 2), db_str(r, i, 3),
                           until);
        rc = rc ? rc : gw_buf_json_string(&out, db_str(r, i, 5));
        rc = rc ? rc : jg_buf_printf(&out, ",\"kind\":\"%s\",\"max_attempts\":%s,\"spec\":",
                                     db_str(r, i, 6), db_str(r, i, 7));
        rc = rc ? rc : jg_buf_append(&out, db_str(r, i, 8), strlen(db_str(r, i, 8)));
        rc = rc ? rc : jg_buf_append(&out, ",\"labels\":", 10);
        rc = rc ? rc : jg_buf_append(&out, db_str(r, i, 9), strlen(db_str(r, i, 9)));
        rc = rc ? rc : jg_buf_append(&out, "}", 1);
    }
    rc = rc ? rc : jg_buf_printf(&out, "],\"lease_ttl_ms\":%ld}", w->lease_ms);
    if (rc) {
        jg_buf_free(&out);
        return rc;
    }
    free(w->body);
    w->body = jg_buf_take(&out, &w->body_len);
    w->njobs = n;
    return 0;
}

int gw_lease_claim(struct gw_ctx *gw, struct db_conn *db, struct gw_lease_wait **ws, int n)
{
    /* One statement for all of them: their ids, max_jobs and lease ms as parallel arrays. */
    struct jg_buf ids, counts, ms;
    jg_buf_init(&ids, (size_t)1 << 30);
    jg_buf_init(&counts, (size_t)1 << 30);
    jg_buf_init(&ms, (size_t)1 << 30);
    int rc = 0, got = -1;
    PGresult *r = NULL;
    for (int i = 0; i < n && !rc; i++) {
        const char *sep = i ? "," : "{";
        rc = jg_buf_printf(&ids, "%s%s", sep, ws[i]->executor_id);
        rc = rc ? rc : jg_buf_printf(&counts, "%s%d", sep, ws[i]->max_jobs);
        rc = rc ? rc : jg_buf_printf(&ms, "%s%ld", sep, ws[i]->lease_ms);
    }
    rc = rc ? rc : jg_buf_append(&ids, "}", 1);
    rc = rc ? rc : jg_buf_append(&counts, "}", 1);
    rc = rc ? rc : jg_buf_append(&ms, "}", 1);
    if (rc) {
        JG_ERROR("dispatch", "out of memory building a lease claim");
        goto out;
    }
    const char *params[] = {ws[0]->runtimes, ids.data, counts.data, ms.data};
    r = db_exec(db, n == 1 ? STMT_LEASE_CLAIM_ONE : STMT_LEASE_CLAIM, 4, params);
    for (int i = 0; i < n; i++)
        ws[i]->db_down = !r;
    if (!r)
        goto out;
    /* Rows come by slot, so each executor's jobs are one run, in its own priority order. */
    int rows = PQntuples(r);
    got = 0;
    for (int i = 0; i < rows;) {
        long long ord = db_ll(r, i, 0);
        int k = i;
        while (k < rows && db_ll(r, k, 0) == ord)
            k++;
        if (ord < 1 || ord > n || lease_body(ws[ord - 1], r, i, k - i)) {
            /* The jobs stay leased to nobody who will run them; the lease expiry requeues them. */
            JG_ERROR("dispatch", "could not answer a lease of %d jobs", k - i);
        } else {
            got += k - i;
        }
        i = k;
    }
    gw_metrics_add(GW_LEASES_GRANTED, got);
out:
    PQclear(r);
    jg_buf_free(&ids);
    jg_buf_free(&counts);
    jg_buf_free(&ms);
    (void)gw;
    return got;
}

/* Remove w from the FIFO and resume it; lock held, resume happens after unlock via list. */
static void unlink_lw(struct gw_dispatcher *d, struct gw_lease_wait *w)
{
    struct gw_lease_wait **pp = &d->head, *prev = NULL;
    while (*pp && *pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = w->next;
        if (d->tail == w)
            d->tail = prev;
    }
    w->next = NULL;
    w->registered = false;
}

static void fire(struct gw_dispatcher *d, struct gw_lease_wait *w)
{
    pthread_mutex_lock(&d->lock);
    bool resume = false;
    if (w->registered) {
        unlink_lw(d, w);
        w->fired = true;
        resume = w->suspended;
        w->suspended = false;
    }
    pthread_mutex_unlock(&d->lock);
    if (resume)
        gw_server_resume(w->rq);
}

/* Suspended connections do not notice a client that left; never claim jobs for one. */
static bool client_gone(struct gw_request *rq)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return false;
    struct pollfd pfd = {info->connect_fd, POLLRDHUP, 0};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Claim for the waiters @p ask[0..n) (arrival order; consumed), one statement per runtime set, with
 * @p group as scratch room for n; fire those served, and those whose wait is over as they are. */
static void claim_round(struct gw_dispatcher *d, struct gw_lease_wait **ask, size_t n,
                        struct gw_lease_wait **group, const struct timespec *now)
{
    for (size_t i = 0; i < n; i++) {
        if (!ask[i])
            continue;
        const char *runtimes = ask[i]->runtimes;
        int g = 0;
        for (size_t k = i; k < n; k++)
            if (ask[k] && strcmp(ask[k]->runtimes, runtimes) == 0) {
                group[g++] = ask[k];
                ask[k] = NULL;
            }
        gw_lease_claim(d->gw, d->db, group, g);
        for (int k = 0; k < g; k++)
            if (group[k]->body || !jg_before(now, &group[k]->deadline))
                fire(d, group[k]);
    }
}

static void *dispatcher_main(void *arg)
{
    struct gw_dispatcher *d = arg;
    long tick_ms = d->gw->cfg.sweep_interval_ms;
    pthread_mutex_lock(&d->lock);
    while (!d->stop) {
        struct timespec now = jg_deadline_ms(0), until = jg_deadline_ms(tick_ms);
        for (struct gw_lease_wait *w = d->head; w; w = w->next)
            if (jg_before(&w->deadline, &until))
                until = w->deadline;
        if (!d->kicked && !d->pending && jg_before(&now, &until))
            pthread_cond_timedwait(&d->wake, &d->lock, &until);
        if (d->stop)
            break;
        bool kicked = d->kicked;
        d->kicked = false;
        d->pending = false;
        /* Snapshot the parked executors; only this thread fires them, so they stay valid. */
        size_t n = 0;
        for (struct gw_lease_wait *w = d->head; w; w = w->next)
            n++;
        struct gw_lease_wait **list = n ? malloc(2 * n * sizeof *list) : NULL;
        n = 0;
        if (list)
            for (struct gw_lease_wait *w = d->head; w; w = w->next)
                list[n++] = w;
        pthread_mutex_unlock(&d->lock);

        /* Those to claim for: all on a kick, else the newly parked and those whose wait is over. */
        size_t nask = 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (size_t i = 0; i < n; i++) {
            struct gw_lease_wait *w = list[i];
            if (client_gone(w->rq)) {
                fire(d, w);
                continue;
            }
            bool expired = !jg_before(&now, &w->deadline);
            if (kicked || w->fresh || expired)
                list[nask++] = w;
            w->fresh = false;
        }
        claim_round(d, list, nask, list + n, &now);
        free(list);
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

struct gw_dispatcher *gw_dispatcher_new(struct gw_ctx *gw)
{
    struct gw_dispatcher *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->gw = gw;
    /* Claims may commit asynchronously: a claim lost in a crash only makes the job claimable
     * again, and the lease token fences the executor that thought it had it. */
    d->db = db_open(gw->cfg.database_url, "dispatcher", "-c synchronous_commit=off");
    pthread_mutex_init(&d->lock, NULL);
    jg_cond_init_monotonic(&d->wake);
    if (!d->db || pthread_create(&d->thread, NULL, dispatcher_main, d)) {
        db_close(d->db);
        free(d);
        return NULL;
    }
    return d;
}

void gw_dispatcher_release_all(struct gw_dispatcher *d)
{
    for (;;) {
        pthread_mutex_lock(&d->lock);
        struct gw_lease_wait *w = d->head;
        pthread_mutex_unlock(&d->lock);
        if (!w)
            return;
        fire(d, w);
    }
}

void gw_dispatcher_free(struct gw_dispatcher *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    gw_dispatcher_release_all(d);
    db_close(d->db);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
    free(d);
}

void gw_dispatcher_park(struct gw_dispatcher *d, struct gw_lease_wait *w)
{
    pthread_mutex_lock(&d->lock);
    w->registered = true;
    w->fired = false;
    w->fresh = true;
    w->next = NULL;
    if (d->tail)
        d->tail->next = w;
    else
        d->head = w;
    d->tail = w;
    MHD_suspend_connection(w->rq->conn);
    w->suspended = true;
    d->pending = true; /* a fresh waiter gets an immediate claim */
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
}

void gw_dispatcher_kick(struct gw_dispatcher *d)
{
    pthread_mutex_lock(&d->lock);
    d->kicked = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
}
