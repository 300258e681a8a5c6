#include "events.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db/db.h"
#include "dispatcher.h"
#include "log.h"
#include "waiters.h"

#define DEBOUNCE_MS 5
#define PAYLOAD_MAX 7900 /* NOTIFY payloads must stay under 8000 bytes */

struct gw_events {
    struct gw_ctx *gw;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct jg_buf done;   /* " id id ..." ended jobs not yet announced */
    bool queued, revoked, stop;
    pthread_t notifier, listener;
    struct db_conn *notify_db, *listen_db;
};

void gw_events_job_done(struct gw_events *ev, const char *public_id)
{
    gw_waiters_wake(ev->gw->waiters, public_id);
    pthread_mutex_lock(&ev->lock);
    if (jg_buf_printf(&ev->done, " %s", public_id))
        JG_WARN("events", "announcement buffer full; other gateways' waiters will time out");
    pthread_cond_signal(&ev->wake);
    pthread_mutex_unlock(&ev->lock);
}

void gw_events_jobs_queued(struct gw_events *ev)
{
    gw_dispatcher_kick(ev->gw->dispatcher);
    pthread_mutex_lock(&ev->lock);
    ev->queued = true;
    pthread_cond_signal(&ev->wake);
    pthread_mutex_unlock(&ev->lock);
}

void gw_events_token_revoked(struct gw_events *ev)
{
    atomic_fetch_add(&ev->gw->token_generation, 1);
    /* The revoking statement itself notified "r" to every gateway. */
}

static void send_notify(struct gw_events *ev, const char *payload)
{
    const char *params[] = {payload};
    PGresult *r = db_exec(ev->notify_db, STMT_NOTIFY, 1, params);
    if (r)
        PQclear(r);
    else
        JG_DEBUG("events", "notify failed: %s", ev->notify_db->errmsg);
}

/* Batches events for at most DEBOUNCE_MS and announces them in few small transactions. */
static void *notifier_main(void *arg)
{
    struct gw_events *ev = arg;
    pthread_mutex_lock(&ev->lock);
    while (!ev->stop) {
        if (!ev->queued && ev->done.len == 0) {
            pthread_cond_wait(&ev->wake, &ev->lock);
            continue;
        }
        pthread_mutex_unlock(&ev->lock);
        struct timespec d = {0, DEBOUNCE_MS * 1000000L};
        nanosleep(&d, NULL);
        pthread_mutex_lock(&ev->lock);
        bool queued = ev->queued;
        ev->queued = false;
        size_t len;
        char *done = jg_buf_take(&ev->done, &len);
        pthread_mutex_unlock(&ev->lock);
        if (queued)
            send_notify(ev, "q");
        /* Split the id list into payloads below the size limit, at id boundaries. */
        for (size_t off = 0; done && off < len;) {
            size_t take = len - off;
            if (take > PAYLOAD_MAX) {
                take = PAYLOAD_MAX;
                while (take > 0 && done[off + take] != ' ')
                    take--;
            }
            char payload[PAYLOAD_MAX + 4];
            snprintf(payload, sizeof payload, "d%.*s", (int)take, done + off);
            send_notify(ev, payload);
            off += take;
        }
        free(done);
        pthread_mutex_lock(&ev->lock);
    }
    pthread_mutex_unlock(&ev->lock);
    return NULL;
}

static void handle_payload(struct gw_events *ev, const char *payload)
{
    if (payload[0] == 'q') {
        gw_dispatcher_kick(ev->gw->dispatcher);
    } else if (payload[0] == 'r') {
        atomic_fetch_add(&ev->gw->token_generation, 1);
    } else if (payload[0] == 'd') {
        char id[40];
        for (const char *p = payload + 1; *p;) {
            while (*p == ' ')
                p++;
            size_t n = strcspn(p, " ");
            if (n > 0 && n < sizeof id) {
                memcpy(id, p, n);
                id[n] = '\0';
                gw_waiters_wake(ev->gw->waiters, id);
            }
            p += n;
        }
    }
}

/* LISTENs on its own connection; a lost connection may have lost events, so everyone rechecks. */
static void *listener_main(void *arg)
{
    struct gw_events *ev = arg;
    bool listening = false;
    while (!atomic_load(&ev->gw->stopping)) {
        pthread_mutex_lock(&ev->lock);
        bool stop = ev->stop;
        pthread_mutex_unlock(&ev->lock);
        if (stop)
            break;
        if (!listening) {
            if (db_command(ev->listen_db, "LISTEN jobgate") == 0) {
                listening = true;
                gw_waiters_wake_all(ev->gw->waiters);
                gw_dispatcher_kick(ev->gw->dispatcher);
            } else {
                struct timespec d = {0, 500000000L};
                nanosleep(&d, NULL);
                continue;
            }
        }
        struct pollfd pfd = {PQsocket(ev->listen_db->pg), POLLIN, 0};
        int n = poll(&pfd, 1, 250);
        if (n < 0)
            continue;
        if (n > 0 && !PQconsumeInput(ev->listen_db->pg)) {
            JG_WARN("events", "LISTEN connection lost: %s", PQerrorMessage(ev->listen_db->pg));
            listening = false;
            continue;
        }
        if (PQstatus(ev->listen_db->pg) != CONNECTION_OK) {
            listening = false;
            continue;
        }
        PGnotify *note;
        while ((note = PQnotifies(ev->listen_db->pg)) != NULL) {
            handle_payload(ev, note->extra);
            PQfreemem(note);
        }
    }
    return NULL;
}

struct gw_events *gw_events_new(struct gw_ctx *gw)
{
    struct gw_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->gw = gw;
    jg_buf_init(&ev->done, 1 << 22);
    pthread_mutex_init(&ev->lock, NULL);
    pthread_cond_init(&ev->wake, NULL);
    ev->notify_db = db_open(gw->cfg.database_url, "notifier", NULL);
    ev->listen_db = db_open(gw->cfg.database_url, "listener", NULL);
    if (!ev->notify_db || !ev->listen_db ||
        pthread_create(&ev->notifier, NULL, notifier_main, ev)) {
        db_close(ev->notify_db);
        db_close(ev->listen_db);
        free(ev);
        return NULL;
    }
    if (pthread_create(&ev->listener, NULL, listener_main, ev)) {
        pthread_mutex_lock(&ev->lock);
        ev->stop = true;
        pthread_cond_signal(&ev->wake);
        pthread_mutex_unlock(&ev->lock);
        pthread_join(ev->notifier, NULL);
        db_close(ev->notify_db);
        db_close(ev->listen_db);
        free(ev);
        return NULL;
    }
    return ev;
}

void gw_events_free(struct gw_events *ev)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->lock);
    ev->stop = true;
    pthread_cond_signal(&ev->wake);
    pthread_mutex_unlock(&ev->lock);
    pthread_join(ev->notifier, NULL);
    pthread_join(ev->listener, NULL);
    db_close(ev->notify_db);
    db_close(ev->listen_db);
    jg_buf_free(&ev->done);
    pthread_mutex_destroy(&ev->lock);
    pthread_cond_destroy(&ev->wake);
    free(ev);
}
