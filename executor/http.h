/* JSON over HTTP to the gateway: one libcurl easy handle per thread (keep-alive), bearer token,
 * http/https only, no signals, timeouts, and a cap on the size of any answer. */
#ifndef EX_HTTP_H
#define EX_HTTP_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdatomic.h>

#include "buf.h"
#include "config.h"

struct ex_http {
    CURL *curl;
    struct curl_slist *headers;
    const struct ex_config *cfg;
    const atomic_bool *abort; /* when set, a request in flight is abandoned (NULL: never) */
    struct jg_buf body;       /* the answer, capped at cfg->max_response_kb */
    char error[CURL_ERROR_SIZE];
};

int ex_http_init(struct ex_http *h, const struct ex_config *cfg, const atomic_bool *abort);
void ex_http_close(struct ex_http *h);

/* Send @p body (borrowed) to cfg->gateway + @p path. The request may take extra_timeout_s on top of
 * cfg->http_timeout_s (long-polls). Returns the HTTP status with *resp the parsed answer (a new
 * reference, NULL when it is not JSON), or a negative errno when no answer arrived (h->error says
 * why): -ECANCELED (aborted), -ETIMEDOUT, -ECONNREFUSED, -EMSGSIZE (answer over the cap), -EIO. */
long ex_http_json(struct ex_http *h, const char *method, const char *path, const json_t *body,
                  long extra_timeout_s, json_t **resp);

#endif
