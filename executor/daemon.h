/* The executor daemon's shared state: every lease it holds, from the lease answer until the gateway
 * accepted the result (or the lease was lost or handed back), and the threads that move them along:
 *
 *   lease loop  --QUEUED-->  worker (one per slot)  --POSTING-->  result poster  --> gone
 *        heartbeat: renews every held lease; "cancel" kills a RUNNING one, drops any other
 *        SIGTERM: no more leases; QUEUED -> RELEASE at once; RUNNING get the grace period, then are
 *                 killed -> RELEASE; RELEASE leases are handed back with /executor/release.
 *
 * One mutex guards the list and the counters; the HTTP calls and the runs happen outside it. */
#ifndef EX_DAEMON_H
#define EX_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "http.h"
#include "job.h"
#include "runner.h"

enum ex_state { EX_QUEUED, EX_RUNNING, EX_POSTING, EX_RELEASE };

struct ex_active {
    struct ex_job job;
    enum ex_state state;
    int slot;                 /* RUNNING: the slot running it */
    atomic_bool cancelled;    /* stop the run: gateway cancel, lease lost, or shutdown */
    bool release;             /* the run was stopped by shutdown: hand the lease back */
    bool drop;                /* the lease is gone: forget the job, post nothing */
    json_t *outcome;          /* POSTING: the result document without the lease */
    json_t *progress;         /* RUNNING a judged job: the tests finished so far (slim records) */
    size_t progress_total;
    bool progress_dirty;      /* not posted yet (the poster sends it, PUT /jobs/<id>/progress) */
    long progress_posted_ms;  /* when it was last sent (CLOCK_MONOTONIC ms) */
    struct ex_active *next;
};

struct ex_daemon {
    const struct ex_config *cfg;
    char executor_id[37];
    pthread_mutex_t mu;
    pthread_cond_t changed;   /* any state change: workers, lease loop, poster and shutdown wait on it */
    struct ex_active *active; /* all held leases, oldest first */
    long queued, running, posting;
    long lease_ttl_ms;
    long run_ms_avg;          /* recent jobs' run time, moving average (ms); -1 before the first: --prefetch -1 */
    struct ex_runner *runners; /* one per slot */
    struct ex_cache *cache;    /* test data and compiled checkers (NULL: none) */
    json_t *runtime_info;      /* sent with the first lease (GET /runtimes shows it) */
    atomic_bool stopping;      /* SIGTERM: no new leases, no new runs */
    atomic_bool done;          /* everything is settled: heartbeat and poster end */
    /* counters for the log at exit */
    long jobs_run, results_posted, results_dropped, released;
};

/* Thread bodies (lease.c, worker.c, heartbeat.c, poster.c); arg is the ex_daemon, except for
 * workers, which get their struct ex_runner. */
void *ex_lease_loop(void *arg);
void *ex_worker(void *arg);
void *ex_heartbeat_loop(void *arg);
void *ex_poster_loop(void *arg);

/* Shared by the threads (daemon.c). Callers hold d->mu unless noted. */
extern struct ex_daemon *ex_the_daemon; /* for workers, which get only their runner */
void ex_daemon_unlink(struct ex_daemon *d, struct ex_active *a); /* remove and free */
struct ex_active *ex_daemon_find(struct ex_daemon *d, const char *job_id);
/* {"executor_id", "leases":[{job_id, lease}...]} of the leases in state @p only (-1: all). */
json_t *ex_daemon_lease_list(struct ex_daemon *d, int only);
/* Hand back every RELEASE lease (takes and drops d->mu itself; HTTP through @p h). */
void ex_daemon_release(struct ex_daemon *d, struct ex_http *h);
/* Sleep up to ms, waking early when d->changed is signalled (d->mu held). */
void ex_daemon_wait(struct ex_daemon *d, long ms);

/* Progress of a judged job is posted at most this often. */
#define EX_PROGRESS_INTERVAL_MS 250
/* How many jobs the lease loop may hold (queued here or running): the slots plus the prefetch (lease.c). */
long ex_lease_held_max(const struct ex_daemon *d);
long ex_now_ms(void); /* CLOCK_MONOTONIC */

#endif
