#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "router.h"

static double elapsed_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

const char *gw_query(struct gw_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

void gw_server_resume(struct gw_request *rq)
{
    atomic_store(&rq->resume_pending, true);
    MHD_resume_connection(rq->conn);
}

/* application/json, optionally with parameters ("; charset=utf-8"). */
static bool is_json(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    ct += n;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* First call for a request: route, authenticate, check the body's type and announced size. */
static enum gw_result begin(struct gw_request *rq)
{
    struct gw_ctx *gw = rq->gw;
    char allow[64], path[1024];
    size_t plen = strcspn(rq->url, "?");
    if (plen >= sizeof path)
        return gw_reply_error(rq, 414, "uri-too-long", "URI too long", NULL,
                              "the path is longer than %zu bytes", sizeof path - 1);
    memcpy(path, rq->url, plen);
    path[plen] = '\0';
    const char *method = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
    switch (gw_route_find(method, path, &rq->route, rq->param, sizeof rq->param, allow,
                          sizeof allow)) {
    case GW_ROUTE_NOT_FOUND:
        return gw_reply_error(rq, 404, "not-found", "Not found", NULL, "no such endpoint: %s",
                              path);
    case GW_ROUTE_BAD_METHOD: {
        static _Thread_local char allow_copy[64];
        memcpy(allow_copy, allow, sizeof allow);
        gw_reply_header(rq, "Allow", allow_copy);
        return gw_reply_error(rq, 405, "method-not-allowed", "Method not allowed", NULL,
                              "%s is not allowed here; allowed: %s", rq->method, allow);
    }
    case GW_ROUTE_FOUND:
        break;
    }
    if (rq->route->roles) {
        struct gw_problem p;
        if (gw_authenticate(rq, &p))
            return gw_reply_problem(rq, &p);
        if (!(rq->route->roles & rq->who.role))
            return gw_reply_error(rq, 403, "forbidden", "Forbidden", NULL,
                                  "%s %s token cannot use this endpoint",
                                  rq->who.role == GW_ROLE_CLIENT ? "a" : "an",
                                  gw_role_name(rq->who.role));
    }
    if (rq->route->has_body) {
        const char *ct =
            MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json(ct))
            return gw_reply_error(rq, 415, "unsupported-media-type", "Unsupported media type",
                                  NULL, "send the body as application/json (got %s)",
                                  ct ? ct : "no Content-Type");
        const char *cl =
            MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)gw->cfg.max_body_kb * 1024)
            return gw_reply_error(rq, 413, "payload-too-large", "Payload too large", NULL,
                                  "the body is larger than %ld KiB", gw->cfg.max_body_kb);
        jg_buf_init(&rq->body, (size_t)gw->cfg.max_body_kb * 1024);
    }
    return GW_OK;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct gw_ctx *gw = cls;
    struct gw_request *rq = *con_cls;
    enum gw_result res;

    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        rq->gw = gw;
        rq->conn = conn;
        rq->url = url;
        rq->method = method;
        clock_gettime(CLOCK_MONOTONIC, &rq->started);
        atomic_fetch_add(&gw->in_flight, 1);
        *con_cls = rq;
        res = begin(rq);
        return res == GW_FATAL ? MHD_NO : MHD_YES;
    }
    if (rq->replied) { /* an early error: discard whatever body still arrives */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!rq->body_too_large &&
            jg_buf_append(&rq->body, upload_data, *upload_data_size) == -E2BIG) {
            rq->body_too_large = true;
            jg_buf_free(&rq->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->body_too_large) {
        res = gw_reply_error(rq, 413, "payload-too-large", "Payload too large", NULL,
                             "the body is larger than %ld KiB", gw->cfg.max_body_kb);
        return res == GW_FATAL ? MHD_NO : MHD_YES;
    }
    /* Consumed before the handler runs: a handler that suspends may be resumed by another thread
     * before it returns (a fast group commit), and that resume must not be lost. */
    rq->resumed = atomic_exchange(&rq->resume_pending, false);
    res = rq->route->handler(rq);
    if (res == GW_SUSPENDED)
        return MHD_YES;
    if (res == GW_OK && !rq->replied)
        res = gw_reply_internal(rq, "handler returned without a response");
    return res == GW_FATAL ? MHD_NO : MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct gw_request *rq = *con_cls;
    if (!rq)
        return;
    if (rq->replied)
        gw_metrics_request(rq->route, rq->status, elapsed_since(&rq->started));
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && toe != MHD_REQUEST_TERMINATED_CLIENT_ABORT)
        JG_DEBUG("http", "%s %s ended early (%d)", rq->method, rq->url, (int)toe);
    if (rq->state_free)
        rq->state_free(rq);
    jg_buf_free(&rq->body);
    atomic_fetch_sub(&rq->gw->in_flight, 1);
    free(rq);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    JG_WARN("mhd", "%s", msg);
}

int gw_server_start(struct gw_ctx *gw)
{
    char host[256];
    uint16_t port;
    if (gw_config_listen_addr(&gw->cfg, host, sizeof host, &port))
        return -EINVAL;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                         MHD_USE_ERROR_LOG;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        flags |= MHD_USE_IPv6;
    } else if (strcmp(host, "localhost") == 0) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
        JG_ERROR("http", "--listen: '%s' is not an IPv4 or IPv6 address", host);
        return -EINVAL;
    }
    gw->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, gw,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)gw->cfg.threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)gw->cfg.connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)gw->cfg.connection_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, gw,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_END);
    if (!gw->daemon) {
        JG_ERROR("http", "cannot listen on %s", gw->cfg.listen);
        return -EADDRINUSE;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(gw->daemon, MHD_DAEMON_INFO_BIND_PORT);
    JG_INFO("http", "listening on http://%s:%u with %ld threads", host,
            info ? info->port : port, gw->cfg.threads);
    return 0;
}

void gw_server_quiesce(struct gw_ctx *gw)
{
    if (gw->daemon) {
        MHD_socket s = MHD_quiesce_daemon(gw->daemon);
        if (s != MHD_INVALID_SOCKET)
            close(s);
    }
}

void gw_server_stop(struct gw_ctx *gw)
{
    if (gw->daemon) {
        MHD_stop_daemon(gw->daemon);
        gw->daemon = NULL;
    }
}
