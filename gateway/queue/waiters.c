#include "waiters.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http/server.h"

#define NBUCKETS 4096
#define RESUME_BATCH 256

struct gw_waiters {
    pthread_mutex_t lock;
    pthread_cond_t changed;          /* the earliest deadline moved, or stop */
    struct gw_wait *buckets[NBUCKETS];
    struct gw_wait_group **heap;     /* min-heap of groups on deadline */
    size_t nheap, capheap;
    bool stop;
    pthread_t timer;
};

static unsigned hash_id(const char *id)
{
    unsigned h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % NBUCKETS;
}

static void heap_swap(struct gw_waiters *ws, size_t i, size_t j)
{
    struct gw_wait_group *t = ws->heap[i];
    ws->heap[i] = ws->heap[j];
    ws->heap[j] = t;
    ws->heap[i]->heap_index = i;
    ws->heap[j]->heap_index = j;
}

static void heap_up(struct gw_waiters *ws, size_t i)
{
    while (i > 0 && jg_before(&ws->heap[i]->deadline, &ws->heap[(i - 1) / 2]->deadline)) {
        heap_swap(ws, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct gw_waiters *ws, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < ws->nheap && jg_before(&ws->heap[l]->deadline, &ws->heap[m]->deadline))
            m = l;
        if (r < ws->nheap && jg_before(&ws->heap[r]->deadline, &ws->heap[m]->deadline))
            m = r;
        if (m == i)
            return;
        heap_swap(ws, i, m);
        i = m;
    }
}

static void heap_remove(struct gw_waiters *ws, size_t i)
{
    ws->nheap--;
    if (i != ws->nheap) {
        ws->heap[i] = ws->heap[ws->nheap];
        ws->heap[i]->heap_index = i;
        heap_down(ws, i);
        heap_up(ws, i);
    }
}

/* Take g's waits out of the table and g out of the heap; lock held. */
static void unlink_group(struct gw_waiters *ws, struct gw_wait_group *g)
{
    for (size_t k = 0; k < g->n; k++) {
        struct gw_wait *w = &g->waits[k];
        struct gw_wait **pp = &ws->buckets[hash_id(w->id)];
        while (*pp && *pp != w)
            pp = &(*pp)->next;
        if (*pp)
            *pp = w->next;
        w->next = NULL;
    }
    heap_remove(ws, g->heap_index);
    g->registered = false;
}

/* Mark fired and collect the request to resume once the lock is released; lock held. */
static void fire(struct gw_waiters *ws, struct gw_wait_group *g, struct gw_request **resume,
                 size_t *n)
{
    unlink_group(ws, g);
    g->fired = true;
    if (g->suspended) {
        g->suspended = false;
        resume[(*n)++] = g->rq;
    }
}

static void resume_all(struct gw_request **resume, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gw_server_resume(resume[i]);
}

static void *timer_main(void *arg)
{
    struct gw_waiters *ws = arg;
    struct gw_request *resume[RESUME_BATCH];
    pthread_mutex_lock(&ws->lock);
    while (!ws->stop) {
        size_t n = 0;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        while (ws->nheap > 0 && !jg_before(&now, &ws->heap[0]->deadline) && n < RESUME_BATCH)
            fire(ws, ws->heap[0], resume, &n);
        if (n) {
            pthread_mutex_unlock(&ws->lock);
            resume_all(resume, n);
            pthread_mutex_lock(&ws->lock);
            continue;
        }
        if (ws->nheap > 0)
            pthread_cond_timedwait(&ws->changed, &ws->lock, &ws->heap[0]->deadline);
        else
            pthread_cond_wait(&ws->changed, &ws->lock);
    }
    pthread_mutex_unlock(&ws->lock);
    return NULL;
}

struct gw_wait_group *gw_wait_group_new(struct gw_request *rq, size_t n, long ms)
{
    struct gw_wait_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->waits = calloc(n ? n : 1, sizeof *g->waits);
    if (!g->waits) {
        free(g);
        return NULL;
    }
    g->n = n;
    g->rq = rq;
    for (size_t k = 0; k < n; k++)
        g->waits[k].group = g;
    g->deadline = jg_deadline_ms(ms);
    return g;
}

void gw_wait_group_free(struct gw_waiters *ws, struct gw_wait_group *g)
{
    if (!g)
        return;
    if (g->registered)
        gw_wait_cancel(ws, g);
    free(g->waits);
    free(g);
}

struct gw_waiters *gw_waiters_new(void)
{
    struct gw_waiters *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    pthread_mutex_init(&ws->lock, NULL);
    jg_cond_init_monotonic(&ws->changed);
    if (pthread_create(&ws->timer, NULL, timer_main, ws)) {
        free(ws);
        return NULL;
    }
    return ws;
}

void gw_waiters_free(struct gw_waiters *ws)
{
    if (!ws)
        return;
    gw_waiters_wake_all(ws);
    pthread_mutex_lock(&ws->lock);
    ws->stop = true;
    pthread_cond_signal(&ws->changed);
    pthread_mutex_unlock(&ws->lock);
    pthread_join(ws->timer, NULL);
    free(ws->heap);
    pthread_mutex_destroy(&ws->lock);
    pthread_cond_destroy(&ws->changed);
    free(ws);
}

void gw_wait_register(struct gw_waiters *ws, struct gw_wait_group *g)
{
    pthread_mutex_lock(&ws->lock);
    g->suspended = false;
    g->fired = false;
    if (ws->nheap == ws->capheap) {
        size_t cap = ws->capheap ? 2 * ws->capheap : 256;
        struct gw_wait_group **h = realloc(ws->heap, cap * sizeof *h);
        if (!h) { /* cannot park: behave as if woken at once */
            g->fired = true;
            pthread_mutex_unlock(&ws->lock);
            return;
        }
        ws->heap = h;
        ws->capheap = cap;
    }
    g->registered = true;
    for (size_t k = 0; k < g->n; k++) {
        unsigned b = hash_id(g->waits[k].id);
        g->waits[k].next = ws->buckets[b];
        ws->buckets[b] = &g->waits[k];
    }
    g->heap_index = ws->nheap;
    ws->heap[ws->nheap++] = g;
    heap_up(ws, g->heap_index);
    if (g->heap_index == 0)
        pthread_cond_signal(&ws->changed);
    pthread_mutex_unlock(&ws->lock);
}

bool gw_wait_suspend(struct gw_waiters *ws, struct gw_wait_group *g)
{
    bool parked = false;
    pthread_mutex_lock(&ws->lock);
    if (g->registered && !g->fired) {
        MHD_suspend_connection(g->rq->conn);
        g->suspended = true;
        parked = true;
    }
    pthread_mutex_unlock(&ws->lock);
    return parked;
}

void gw_wait_cancel(struct gw_waiters *ws, struct gw_wait_group *g)
{
    pthread_mutex_lock(&ws->lock);
    if (g->registered)
        unlink_group(ws, g);
    pthread_mutex_unlock(&ws->lock);
}

void gw_waiters_wake(struct gw_waiters *ws, const char *id)
{
    size_t n;
    do {
        struct gw_request *resume[RESUME_BATCH];
        n = 0;
        pthread_mutex_lock(&ws->lock);
        struct gw_wait *w = ws->buckets[hash_id(id)];
        while (w && n < RESUME_BATCH) {
            struct gw_wait *next = w->next;
            if (strcmp(w->id, id) == 0) {
                /* Unlinking the group may remove `next` from this chain too: restart. */
                fire(ws, w->group, resume, &n);
                next = ws->buckets[hash_id(id)];
            }
            w = next;
        }
        pthread_mutex_unlock(&ws->lock);
        resume_all(resume, n);
    } while (n == RESUME_BATCH);
}

void gw_waiters_wake_all(struct gw_waiters *ws)
{
    for (;;) {
        struct gw_request *resume[RESUME_BATCH];
        size_t n = 0;
        pthread_mutex_lock(&ws->lock);
        while (ws->nheap > 0 && n < RESUME_BATCH)
            fire(ws, ws->heap[0], resume, &n);
        bool more = ws->nheap > 0;
        pthread_mutex_unlock(&ws->lock);
        resume_all(resume, n);
        if (!more)
            return;
    }
}

long gw_waiters_count(struct gw_waiters *ws)
{
    pthread_mutex_lock(&ws->lock);
    long n = (long)ws->nheap;
    pthread_mutex_unlock(&ws->lock);
    return n;
}
