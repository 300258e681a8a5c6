/* The executor's HTTP client (libcurl). */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct jg_buf *b = arg;
    return jg_buf_append(b, data, size * n) ? 0 : size * n; /* 0 aborts the transfer: over the cap */
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const atomic_bool *abort = arg;
    return abort && atomic_load(abort);
}

int ex_http_init(struct ex_http *h, const struct ex_config *cfg, const atomic_bool *abort)
{
    memset(h, 0, sizeof *h);
    h->cfg = cfg;
    h->abort = abort;
    h->curl = curl_easy_init();
    if (!h->curl)
        return -ENOMEM;
    char auth[600];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->token);
    struct curl_slist *l = curl_slist_append(NULL, auth);
    if (l)
        l = curl_slist_append(l, "Content-Type: application/json");
    if (l)
        l = curl_slist_append(l, "Accept: application/json");
    if (l)
        l = curl_slist_append(l, "Expect:"); /* no 100-continue round trip for large results */
    if (!l) {
        curl_easy_cleanup(h->curl);
        h->curl = NULL;
        return -ENOMEM;
    }
    h->headers = l;
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
#if CURL_AT_LEAST_VERSION(7, 85, 0)
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->body);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)abort);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, abort ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->error);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "jobgate-executor/0.1");
    return 0;
}

void ex_http_close(struct ex_http *h)
{
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    jg_buf_free(&h->body);
    memset(h, 0, sizeof *h);
}

long ex_http_json(struct ex_http *h, const char *method, const char *path, const json_t *body,
                  long extra_timeout_s, json_t **resp)
{
    *resp = NULL;
    h->error[0] = '\0';
    char url[1024];
    snprintf(url, sizeof url, "%s%s", h->cfg->gateway, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text) {
        snprintf(h->error, sizeof h->error, "out of memory");
        return -ENOMEM;
    }
    jg_buf_free(&h->body);
    jg_buf_init(&h->body, (size_t)h->cfg->max_response_kb * 1024);
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text ? text : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(text ? strlen(text) : 0));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->cfg->http_timeout_s + extra_timeout_s);
    CURLcode cc = curl_easy_perform(c);
    free(text);
    if (cc != CURLE_OK) {
        if (!h->error[0])
            snprintf(h->error, sizeof h->error, "%s", curl_easy_strerror(cc));
        switch (cc) {
        case CURLE_ABORTED_BY_CALLBACK:
            return -ECANCELED;
        case CURLE_OPERATION_TIMEDOUT:
            return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
            return -ECONNREFUSED;
        case CURLE_WRITE_ERROR:
            snprintf(h->error, sizeof h->error, "answer larger than %ld KiB", h->cfg->max_response_kb);
            return -EMSGSIZE;
        default:
            return -EIO;
        }
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (h->body.len) {
        json_error_t jerr;
        *resp = json_loadb(h->body.data, h->body.len, 0, &jerr);
    }
    return status;
}
