/* Responses: JSON bodies and RFC 9457 problem documents. */
#ifndef GW_REPLY_H
#define GW_REPLY_H

#include "gateway.h"

/* A validation or request failure, filled by parsers and turned into a problem+json response. */
struct gw_problem {
    unsigned status;   /* 400, 404, 409, 413, 415, 422, ... */
    const char *slug;  /* becomes "urn:jobgate:problem:<slug>" */
    const char *title; /* short and fixed per slug */
    char detail[384];
    char field[160];   /* the offending field as a path ("limits.cpu_ms", "jobs[2].code"); may be "" */
};

/* Fill a problem; detail is printf-formatted. Returns -1 so validators can "return gw_fail(...)". */
int gw_fail(struct gw_problem *p, unsigned status, const char *slug, const char *title,
            const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Add a response header to the next reply (name and value must outlive the reply call). */
void gw_reply_header(struct gw_request *rq, const char *name, const char *value);

/* Queue @p body (stolen) as application/json with @p status. */
enum gw_result gw_reply_json(struct gw_request *rq, unsigned status, json_t *body);

/* The same for a body already rendered: @p text (malloc'd, stolen; NULL is a failure). */
enum gw_result gw_reply_json_text(struct gw_request *rq, unsigned status, char *text, size_t len);

/* The problem document as JSON text (malloc'd; NULL on allocation failure). */
char *gw_problem_render(const struct gw_problem *p, const char *instance);

/* Queue a problem+json response. */
enum gw_result gw_reply_problem(struct gw_request *rq, const struct gw_problem *p);

/* Shorthand for gw_fail + gw_reply_problem. */
enum gw_result gw_reply_error(struct gw_request *rq, unsigned status, const char *slug,
                              const char *title, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Queue a body with an explicit content type (copied). */
enum gw_result gw_reply_text(struct gw_request *rq, unsigned status, const char *content_type,
                             const char *text, size_t len);

/* 503 "the database is unavailable" with Retry-After. */
enum gw_result gw_reply_db_unavailable(struct gw_request *rq);

/* 500 for an internal failure (logged with @p what); never for bad input. */
enum gw_result gw_reply_internal(struct gw_request *rq, const char *what);

#endif
