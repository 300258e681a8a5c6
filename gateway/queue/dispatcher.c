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

int gw_lease_claim(struct gw_ctx *gw, struct db_conn *db, struct gw_lease_wait *w)
{
    char n[16], ms[24];
    snprintf(n, sizeof n, "%d", w->max_jobs);
    snprintf(ms, sizeof ms, "%ld", w->lease_ms);
    const char *params[] = {w->runtimes, n, w->executor_id, ms};
    PGresult *r = db_exec(db, STMT_LEASE_CLAIM, 4, params);
    if (!r) {
        w->db_down = true;
        return -1;
    }
    w->db_down = false;
    int rows = PQntuples(r);
    if (rows == 0) {
        PQclear(r);
        return 0;
    }
    /* The spec and labels columns are already JSON: splice them in rather than parse and re-encode them.
     * Labels go to executors so that an administrator can grant some jobs the network by label. */
    struct jg_buf out;
    jg_buf_init(&out, (size_t)1 << 31);
    int rc = jg_buf_printf(&out, "{\"jobs\":[");
    for (int i = 0; i < rows && !rc; i++) {
        char until[40];
        gw_timestamp_iso(db_str(r, i, 3), until, sizeof until);
        rc = jg_buf_printf(&out,
                           "%s{\"id\":\"%s\",\"attempt\":%s,\"lease\":\"%s\","
                           "\"lease_expires_at\":\"%s\",\"runtime\":",
                           i ? "," : "", db_str(r, i, 0), db_str(r, i, 1), db_str(r, i, 2), until);
        rc = rc ? rc : gw_buf_json_string(&out, db_str(r, i, 4));
        rc = rc ? rc : jg_buf_printf(&out, ",\"kind\":\"%s\",\"max_attempts\":%s,\"spec\":",
                                     db_str(r, i, 5), db_str(r, i, 6));
        rc = rc ? rc : jg_buf_append(&out, db_str(r, i, 7), strlen(db_str(r, i, 7)));
        rc = rc ? rc : jg_buf_append(&out, ",\"labels\":", 10);
        rc = rc ? rc : jg_buf_append(&out, db_str(r, i, 8), strlen(db_str(r, i, 8)));
        rc = rc ? rc : jg_buf_append(&out, "}", 1);
    }
    rc = rc ? rc : jg_buf_printf(&out, "],\"lease_ttl_ms\":%ld}", w->lease_ms);
    PQclear(r);
    if (rc) {
        jg_buf_free(&out);
        JG_ERROR("dispatch", "out of memory building a lease response");
        return -1;
    }
    free(w->body);
    w->body = jg_buf_take(&out, &w->body_len);
    w->njobs = rows;
    gw_metrics_add(GW_LEASES_GRANTED, rows);
    (void)gw;
    return rows;
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

/* Same runtime set already came back empty in this round: no need to ask again. */
static bool seen_empty(char (*empty)[1024], int nempty, const char *runtimes)
{
    for (int i = 0; i < nempty; i++)
        if (strcmp(empty[i], runtimes) == 0)
            return true;
    return false;
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
        struct gw_lease_wait **list = n ? malloc(n * sizeof *list) : NULL;
        n = 0;
        if (list)
            for (struct gw_lease_wait *w = d->head; w; w = w->next)
                list[n++] = w;
        pthread_mutex_unlock(&d->lock);

        static char empty[16][1024];
        int nempty = 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (size_t i = 0; i < n; i++) {
            struct gw_lease_wait *w = list[i];
            if (client_gone(w->rq)) {
                fire(d, w);
                continue;
            }
            bool expired = !jg_before(&now, &w->deadline);
            bool ask = kicked || w->fresh || expired;
            w->fresh = false;
            if (ask && !seen_empty(empty, nempty, w->runtimes)) {
                int got = gw_lease_claim(d->gw, d->db, w);
                if (got > 0) {
                    fire(d, w);
                    continue;
                }
                if (got == 0 && nempty < 16)
                    memcpy(empty[nempty++], w->runtimes, sizeof empty[0]);
            }
            if (expired)
                fire(d, w);
        }
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
