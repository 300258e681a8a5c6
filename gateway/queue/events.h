/*
 * Wake-ups inside a gateway and across gateways. In-process: a finished job wakes its long-polls
 * and a submit kicks the dispatcher at once. Across gateways: one debounced NOTIFY on channel
 * "jobgate" carries batches of such events (never a NOTIFY inside a submit transaction, which
 * would serialise commits), and a LISTEN connection turns other gateways' events into the same
 * wake-ups. Payloads: "q" (work queued), "r" (a token was revoked), "d <id> <id> ..." (jobs ended).
 */
#ifndef GW_EVENTS_H
#define GW_EVENTS_H

#include "gateway.h"

struct gw_events;

struct gw_events *gw_events_new(struct gw_ctx *gw);
void gw_events_free(struct gw_events *ev);

/* A job ended (completed, failed, cancelled): wake its waiters here and on other gateways. */
void gw_events_job_done(struct gw_events *ev, const char *public_id);

/* Jobs became claimable: kick the dispatcher here and on other gateways. */
void gw_events_jobs_queued(struct gw_events *ev);

/* A token was revoked: drop cached tokens here and on other gateways. */
void gw_events_token_revoked(struct gw_events *ev);

#endif
