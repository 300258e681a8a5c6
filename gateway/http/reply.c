#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "utf8.h"

int gw_fail(struct gw_problem *p, unsigned status, const char *slug, const char *title,
            const char *field, const char *fmt, ...)
{
    p->status = status;
    p->slug = slug;
    p->title = title;
    snprintf(p->field, sizeof p->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
    return -1;
}

void gw_reply_header(struct gw_request *rq, const char *name, const char *value)
{
    if (rq->nheaders < GW_MAX_HEADERS) {
        rq->headers[rq->nheaders][0] = name;
        rq->headers[rq->nheaders][1] = value;
        rq->nheaders++;
    }
}

static enum gw_result queue(struct gw_request *rq, unsigned status, const char *type, char *data,
                            size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(data);
        return GW_FATAL;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < rq->nheaders; i++)
        MHD_add_response_header(resp, rq->headers[i][0], rq->headers[i][1]);
    enum MHD_Result r = MHD_queue_response(rq->conn, status, resp);
    MHD_destroy_response(resp);
    rq->replied = true;
    rq->status = status;
    return r == MHD_YES ? GW_OK : GW_FATAL;
}

enum gw_result gw_reply_json(struct gw_request *rq, unsigned status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return GW_FATAL;
    return queue(rq, status, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE);
}

enum gw_result gw_reply_json_text(struct gw_request *rq, unsigned status, char *text, size_t len)
{
    if (!text)
        return GW_FATAL;
    return queue(rq, status, "application/json", text, len, MHD_RESPMEM_MUST_FREE);
}

enum gw_result gw_reply_text(struct gw_request *rq, unsigned status, const char *content_type,
                             const char *text, size_t len)
{
    return queue(rq, status, content_type, (char *)text, len, MHD_RESPMEM_MUST_COPY);
}

char *gw_problem_render(const struct gw_problem *p, const char *instance)
{
    char type[96], detail[sizeof p->detail], field[sizeof p->field];
    snprintf(type, sizeof type, "urn:jobgate:problem:%s", p->slug);
    /* Details echo request bytes (paths, headers, keys), which need not be UTF-8. */
    snprintf(detail, sizeof detail, "%s", p->detail);
    snprintf(field, sizeof field, "%s", p->field);
    char *where = strdup(instance ? instance : "");
    if (!where)
        return NULL;
    jg_utf8_sanitize(detail);
    jg_utf8_sanitize(field);
    jg_utf8_sanitize(where);
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", p->title,
                            "status", (int)p->status, "detail", detail, "instance", where);
    free(where);
    if (doc && field[0])
        json_object_set_new(doc, "field", json_string(field));
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

enum gw_result gw_reply_problem(struct gw_request *rq, const struct gw_problem *p)
{
    char *text = gw_problem_render(p, rq->url);
    if (!text)
        return GW_FATAL;
    return queue(rq, p->status, "application/problem+json", text, strlen(text),
                 MHD_RESPMEM_MUST_FREE);
}

enum gw_result gw_reply_error(struct gw_request *rq, unsigned status, const char *slug,
                              const char *title, const char *field, const char *fmt, ...)
{
    struct gw_problem p;
    p.status = status;
    p.slug = slug;
    p.title = title;
    snprintf(p.field, sizeof p.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p.detail, sizeof p.detail, fmt, ap);
    va_end(ap);
    return gw_reply_problem(rq, &p);
}

enum gw_result gw_reply_db_unavailable(struct gw_request *rq)
{
    gw_reply_header(rq, "Retry-After", "1");
    return gw_reply_error(rq, 503, "unavailable", "Service unavailable", NULL,
                          "the job store is unreachable; try again shortly");
}

enum gw_result gw_reply_internal(struct gw_request *rq, const char *what)
{
    JG_ERROR("http", "%s %s: internal error: %s", rq->method, rq->url, what);
    return gw_reply_error(rq, 500, "internal", "Internal server error", NULL,
                          "the gateway failed to handle this request; it has been logged");
}
