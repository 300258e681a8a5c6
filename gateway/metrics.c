#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>

#include "http/router.h"

#define MAX_ROUTES 64
#define NSTATUS 600
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

/* Index MAX_ROUTES - 1 collects requests that matched no route. */
static atomic_long requests[MAX_ROUTES][NSTATUS];
static atomic_long buckets[MAX_ROUTES][NBOUNDS + 1];
static atomic_llong sum_us[MAX_ROUTES];
static atomic_long counters[GW_NCOUNTERS];

static const char *counter_names[GW_NCOUNTERS][2] = {
    [GW_JOBS_SUBMITTED] = {"jobgate_jobs_submitted_total", "Jobs accepted by this gateway"},
    [GW_JOBS_COMPLETED] = {"jobgate_jobs_completed_total", "Results recorded as completed"},
    [GW_JOBS_FAILED] = {"jobgate_jobs_failed_total", "Jobs that ended failed"},
    [GW_JOBS_CANCELLED] = {"jobgate_jobs_cancelled_total", "Jobs cancelled by their owner"},
    [GW_LEASES_GRANTED] = {"jobgate_leases_granted_total", "Jobs leased to executors"},
    [GW_LEASES_EXPIRED] = {"jobgate_lease_expiries_total",
                           "Leases that expired (job retried or failed)"},
    [GW_LEASES_RELEASED] = {"jobgate_leases_released_total", "Leases handed back by executors"},
    [GW_RESULTS_REFUSED] = {"jobgate_results_refused_total",
                            "Results refused because the lease was stale"},
};

static int route_index(const struct gw_route *route)
{
    if (!route)
        return MAX_ROUTES - 1;
    int i = (int)(route - gw_routes);
    return i >= 0 && i < MAX_ROUTES - 1 ? i : MAX_ROUTES - 1;
}

void gw_metrics_request(const struct gw_route *route, unsigned status, double seconds)
{
    int r = route_index(route);
    if (status < NSTATUS)
        atomic_fetch_add_explicit(&requests[r][status], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBOUNDS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&buckets[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sum_us[r], (long long)(seconds * 1e6), memory_order_relaxed);
}

void gw_metrics_add(enum gw_counter c, long n)
{
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

int gw_metrics_render(struct jg_buf *out)
{
    int rc = 0, nroutes = 0;
    while (gw_routes[nroutes].method && nroutes < MAX_ROUTES - 1)
        nroutes++;
    for (int c = 0; c < GW_NCOUNTERS; c++)
        rc |= jg_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %ld\n", counter_names[c][0],
                            counter_names[c][1], counter_names[c][0], counter_names[c][0],
                            atomic_load(&counters[c]));
    rc |= jg_buf_printf(out, "# HELP jobgate_http_requests_total HTTP requests by route and "
                             "status\n# TYPE jobgate_http_requests_total counter\n");
    for (int r = 0; r < MAX_ROUTES; r++) {
        int known = r < nroutes;
        if (r < MAX_ROUTES - 1 && !known)
            continue;
        const char *name = known ? gw_routes[r].name : "unrouted";
        for (int s = 100; s < NSTATUS; s++) {
            long n = atomic_load(&requests[r][s]);
            if (n)
                rc |= jg_buf_printf(out, "jobgate_http_requests_total{route=\"%s\",code=\"%d\"} %ld\n",
                                    name, s, n);
        }
    }
    rc |= jg_buf_printf(out, "# HELP jobgate_http_request_duration_seconds Time to answer, by "
                             "route\n# TYPE jobgate_http_request_duration_seconds histogram\n");
    for (int r = 0; r < MAX_ROUTES; r++) {
        int known = r < nroutes;
        if (r < MAX_ROUTES - 1 && !known)
            continue;
        const char *name = known ? gw_routes[r].name : "unrouted";
        long cum = 0;
        for (size_t b = 0; b <= NBOUNDS; b++) {
            cum += atomic_load(&buckets[r][b]);
            if (b < NBOUNDS)
                rc |= jg_buf_printf(out,
                                    "jobgate_http_request_duration_seconds_bucket{route=\"%s\","
                                    "le=\"%g\"} %ld\n",
                                    name, bounds[b], cum);
            else
                rc |= jg_buf_printf(out,
                                    "jobgate_http_request_duration_seconds_bucket{route=\"%s\","
                                    "le=\"+Inf\"} %ld\n",
                                    name, cum);
        }
        rc |= jg_buf_printf(out,
                            "jobgate_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                            "jobgate_http_request_duration_seconds_count{route=\"%s\"} %ld\n",
                            name, (double)atomic_load(&sum_us[r]) / 1e6, name, cum);
    }
    return rc ? -1 : 0;
}
