#include "job_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gw_timestamp_iso(const char *pg, char *out, size_t len)
{
    /* "YYYY-MM-DD HH:MM:SS[.ffffff]+00" in UTC (the session's TimeZone). */
    size_t n = 0;
    if (!pg) {
        if (len)
            out[0] = '\0';
        return;
    }
    for (const char *p = pg; *p && n + 2 < len; p++) {
        if (*p == ' ')
            out[n++] = 'T';
        else if (*p == '+' || (*p == '-' && p - pg > 10))
            break;
        else
            out[n++] = *p;
    }
    out[n++] = 'Z';
    out[n] = '\0';
}

static json_t *timestamp_or_null(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    char iso[48];
    gw_timestamp_iso(PQgetvalue(r, row, col), iso, sizeof iso);
    return json_string(iso);
}

static json_t *parse_or(const char *text, json_t *fallback)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (!v)
        return fallback;
    json_decref(fallback);
    return v;
}

json_t *gw_job_row_to_json(const PGresult *r, int row, bool with_result)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    json_object_set_new(j, "id", json_string(PQgetvalue(r, row, JC_PUBLIC_ID)));
    json_object_set_new(j, "status", json_string(PQgetvalue(r, row, JC_STATUS)));
    json_object_set_new(j, "runtime", json_string(PQgetvalue(r, row, JC_RUNTIME)));
    json_object_set_new(j, "kind", json_string(PQgetvalue(r, row, JC_KIND)));
    json_object_set_new(j, "priority",
                        json_integer(strtoll(PQgetvalue(r, row, JC_PRIORITY), NULL, 10)));
    json_object_set_new(j, "max_attempts",
                        json_integer(strtoll(PQgetvalue(r, row, JC_MAX_ATTEMPTS), NULL, 10)));
    json_object_set_new(j, "attempts",
                        json_integer(strtoll(PQgetvalue(r, row, JC_ATTEMPTS), NULL, 10)));
    json_object_set_new(j, "labels", parse_or(PQgetvalue(r, row, JC_LABELS), json_object()));
    json_object_set_new(j, "limits", parse_or(PQgetvalue(r, row, JC_LIMITS), json_object()));
    json_object_set_new(j, "verdict",
                        PQgetisnull(r, row, JC_VERDICT)
                            ? json_null()
                            : json_string(PQgetvalue(r, row, JC_VERDICT)));
    json_object_set_new(j, "created_at", timestamp_or_null(r, row, JC_CREATED_AT));
    json_object_set_new(j, "started_at", timestamp_or_null(r, row, JC_STARTED_AT));
    json_object_set_new(j, "finished_at", timestamp_or_null(r, row, JC_FINISHED_AT));
    if (with_result && !PQgetisnull(r, row, JC_RESULT)) {
        json_t *res = json_loads(PQgetvalue(r, row, JC_RESULT), 0, NULL);
        if (json_is_object(res)) {
            /* The outcome's fields sit beside the job's; the job's own fields win. */
            const char *key;
            json_t *v;
            json_object_foreach(res, key, v)
            {
                if (!json_object_get(j, key))
                    json_object_set(j, key, v);
            }
        }
        json_decref(res);
    }
    return j;
}

int gw_buf_json_string(struct jg_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = jg_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            rc = jg_buf_append(b, e, 2);
        } else if (*p < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            rc = jg_buf_append(b, e, 6);
        } else {
            rc = jg_buf_append(b, p, 1);
        }
    }
    return rc ? rc : jg_buf_append(b, "\"", 1);
}

bool gw_job_id_valid(const char *id, char out[37])
{
    if (strlen(id) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!isxdigit((unsigned char)c)) {
            return false;
        }
        out[i] = (char)tolower((unsigned char)c);
    }
    out[36] = '\0';
    return true;
}
