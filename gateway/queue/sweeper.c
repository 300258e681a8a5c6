#include "sweeper.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db/db.h"
#include "db/migrations.h"
#include "events.h"
#include "log.h"
#include "metrics.h"

#define VACUUM_EVERY_S 30

struct gw_sweeper {
    struct gw_ctx *gw;
    struct db_conn *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static void rescue(struct gw_sweeper *s)
{
    char base[24], max[24];
    snprintf(base, sizeof base, "%ld", s->gw->cfg.retry_backoff_ms);
    snprintf(max, sizeof max, "%ld", s->gw->cfg.retry_backoff_max_ms);
    const char *params[] = {base, max};
    PGresult *r = db_exec(s->db, STMT_SWEEP_RESCUE, 2, params);
    if (!r)
        return;
    long again = (long)db_ll(r, 0, 0);
    const char *failed = PQgetvalue(r, 0, 1); /* {id,id} */
    long nfailed = 0;
    char id[40];
    for (const char *p = failed; *p;) {
        p += strspn(p, "{},\"");
        size_t n = strcspn(p, "{},\"");
        if (n > 0 && n < sizeof id) {
            memcpy(id, p, n);
            id[n] = '\0';
            gw_events_job_done(s->gw->events, id);
            nfailed++;
        }
        p += n;
    }
    PQclear(r);
    if (again || nfailed) {
        gw_metrics_add(GW_LEASES_EXPIRED, again + nfailed);
        gw_metrics_add(GW_JOBS_FAILED, nfailed);
        JG_INFO("sweeper", "expired leases: %ld job(s) will retry, %ld failed (out of attempts)",
                again, nfailed);
    }
}

static void promote(struct gw_sweeper *s)
{
    PGresult *r = db_exec(s->db, STMT_SWEEP_PROMOTE, 0, NULL);
    if (!r)
        return;
    if (PQntuples(r) > 0)
        gw_events_jobs_queued(s->gw->events);
    PQclear(r);
}

static void refresh(struct gw_sweeper *s)
{
    PGresult *r = db_exec(s->db, STMT_QUEUE_DEPTH, 0, NULL);
    if (!r) {
        atomic_store(&s->gw->db_ready, false);
        return;
    }
    long total = 0;
    for (int i = 0; i < PQntuples(r); i++)
        total += (long)db_ll(r, i, 2);
    PQclear(r);
    atomic_store(&s->gw->queue_depth, total);
    atomic_store(&s->gw->db_ready, db_schema_version(s->db) == db_migrations_count);
}

static void *sweeper_main(void *arg)
{
    struct gw_sweeper *s = arg;
    time_t last_vacuum = time(NULL);
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        pthread_mutex_unlock(&s->lock);
        rescue(s);
        promote(s);
        refresh(s);
        if (time(NULL) - last_vacuum >= VACUUM_EVERY_S) {
            last_vacuum = time(NULL);
            if (db_command(s->db, "VACUUM (ANALYZE) job_queue"))
                JG_DEBUG("sweeper", "vacuum: %s", s->db->errmsg);
        }
        pthread_mutex_lock(&s->lock);
        if (s->stop)
            break;
        struct timespec until = jg_deadline_ms(s->gw->cfg.sweep_interval_ms);
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

struct gw_sweeper *gw_sweeper_new(struct gw_ctx *gw)
{
    struct gw_sweeper *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->gw = gw;
    /* Rescues and promotions may commit asynchronously: a lost one is simply redone. */
    s->db = db_open(gw->cfg.database_url, "sweeper", "-c synchronous_commit=off");
    pthread_mutex_init(&s->lock, NULL);
    jg_cond_init_monotonic(&s->wake);
    if (!s->db || pthread_create(&s->thread, NULL, sweeper_main, s)) {
        db_close(s->db);
        free(s);
        return NULL;
    }
    return s;
}

void gw_sweeper_free(struct gw_sweeper *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    db_close(s->db);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}
