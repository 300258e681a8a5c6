/*
 * The sweeper: every --sweep-interval-ms, on its own connection, it rescues expired leases (back
 * to the queue after a back-off, or failed when out of attempts), promotes retried jobs whose
 * back-off ended, refreshes the queue-depth gauge that guards submits, checks the schema, and
 * every 30 s vacuums job_queue (autovacuum's default pace is far too slow for it).
 */
#ifndef GW_SWEEPER_H
#define GW_SWEEPER_H

#include "gateway.h"

struct gw_sweeper;

struct gw_sweeper *gw_sweeper_new(struct gw_ctx *gw);
void gw_sweeper_free(struct gw_sweeper *s);

#endif
