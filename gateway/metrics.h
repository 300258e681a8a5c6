/* Prometheus metrics: lock-free counters and latency histograms, rendered as text. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include "buf.h"
#include "gateway.h"

enum gw_counter {
    GW_JOBS_SUBMITTED,
    GW_JOBS_COMPLETED,
    GW_JOBS_FAILED,
    GW_JOBS_CANCELLED,
    GW_LEASES_GRANTED,
    GW_LEASES_EXPIRED,
    GW_LEASES_RELEASED,
    GW_RESULTS_REFUSED,
    GW_NCOUNTERS
};

/* Record one finished HTTP request (route may be NULL for unrouted requests). */
void gw_metrics_request(const struct gw_route *route, unsigned status, double seconds);

void gw_metrics_add(enum gw_counter c, long n);

/* Append the process's metrics in Prometheus text format 0.0.4; returns 0 or -errno. */
int gw_metrics_render(struct jg_buf *out);

#endif
