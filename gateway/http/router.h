/* The static route table: method + path pattern -> handler, roles and body expectations. */
#ifndef GW_ROUTER_H
#define GW_ROUTER_H

#include "gateway.h"

typedef enum gw_result (*gw_handler)(struct gw_request *rq);

struct gw_route {
    const char *method;
    const char *pattern; /* segments; "*" matches one non-empty segment, captured in rq->param */
    unsigned roles;      /* bitmask of enum gw_role allowed; 0 = no authentication */
    bool has_body;       /* expects a JSON body */
    gw_handler handler;
    const char *name;    /* for metrics labels */
};

enum gw_route_match { GW_ROUTE_FOUND, GW_ROUTE_NOT_FOUND, GW_ROUTE_BAD_METHOD };

/**
 * Find the route for @p method and @p path (no query string). On GW_ROUTE_FOUND stores it in
 * *route and the variable segment in @p param (size @p param_len); on GW_ROUTE_BAD_METHOD writes
 * the allowed methods ("GET, DELETE") into @p allow.
 */
enum gw_route_match gw_route_find(const char *method, const char *path,
                                   const struct gw_route **route, char *param, size_t param_len,
                                   char *allow, size_t allow_len);

/* All routes, for metrics and tests; terminated by a NULL method. */
extern const struct gw_route gw_routes[];

#endif
