/* The HTTP server: libmicrohttpd daemon, request lifecycle, body accumulation, dispatch. */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include "gateway.h"

/* Start listening as configured; returns 0 or -errno (message logged). */
int gw_server_start(struct gw_ctx *gw);

/* Stop accepting new connections (in-flight requests continue). */
void gw_server_quiesce(struct gw_ctx *gw);

/* Stop the daemon; every suspended connection must have been resumed before. */
void gw_server_stop(struct gw_ctx *gw);

/* Resume a suspended request from any thread; its handler runs again with rq->resumed set. */
void gw_server_resume(struct gw_request *rq);

/* Query-string argument of the request, or NULL. */
const char *gw_query(struct gw_request *rq, const char *name);

#endif
