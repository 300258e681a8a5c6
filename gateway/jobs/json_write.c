#include "json_write.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gw_json_write_string(struct jg_buf *b, const char *s, size_t len)
{
    int rc = jg_buf_append(b, "\"", 1);
    size_t from = 0; /* start of the bytes not yet appended */
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        char esc[8];
        switch (ch) {
        case '"':
        case '\\':
            esc[0] = '\\';
            esc[1] = (char)ch;
            esc[2] = '\0';
            break;
        case '\b':
            memcpy(esc, "\\b", 3);
            break;
        case '\f':
            memcpy(esc, "\\f", 3);
            break;
        case '\n':
            memcpy(esc, "\\n", 3);
            break;
        case '\r':
            memcpy(esc, "\\r", 3);
            break;
        case '\t':
            memcpy(esc, "\\t", 3);
            break;
        default: /* jansson's spelling: upper-case hex */
            snprintf(esc, sizeof esc, "\\u%04X", ch);
        }
        rc = jg_buf_append(b, s + from, i - from);
        if (!rc)
            rc = jg_buf_append(b, esc, strlen(esc));
        from = i + 1;
    }
    if (!rc)
        rc = jg_buf_append(b, s + from, len - from);
    return rc ? rc : jg_buf_append(b, "\"", 1);
}

int gw_json_write_int(struct jg_buf *b, long long v)
{
    char t[24];
    size_t i = sizeof t;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        t[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        t[--i] = '-';
    return jg_buf_append(b, t + i, sizeof t - i);
}

int gw_json_write_raw(struct jg_buf *b, const char *s)
{
    return jg_buf_append(b, s, strlen(s));
}

int gw_json_write(struct jg_buf *b, const json_t *v)
{
    int rc = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        size_t klen;
        json_t *val;
        bool first = true;
        rc = jg_buf_append(b, "{", 1);
        json_object_keylen_foreach((json_t *)v, key, klen, val)
        {
            if (rc)
                break;
            if (!first)
                rc = jg_buf_append(b, ",", 1);
            first = false;
            rc |= gw_json_write_string(b, key, klen);
            rc |= jg_buf_append(b, ":", 1);
            rc |= gw_json_write(b, val);
        }
        return rc ? rc : jg_buf_append(b, "}", 1);
    }
    case JSON_ARRAY:
        rc = jg_buf_append(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
            if (i > 0)
                rc = jg_buf_append(b, ",", 1);
            rc |= gw_json_write(b, json_array_get(v, i));
        }
        return rc ? rc : jg_buf_append(b, "]", 1);
    case JSON_STRING:
        return gw_json_write_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return gw_json_write_int(b, json_integer_value(v));
    case JSON_REAL: { /* rare; jansson's own formatting (%.17g, trimmed exponent) */
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!t)
            return -ENOMEM;
        rc = jg_buf_append(b, t, strlen(t));
        free(t);
        return rc;
    }
    case JSON_TRUE:
        return jg_buf_append(b, "true", 4);
    case JSON_FALSE:
        return jg_buf_append(b, "false", 5);
    case JSON_NULL:
        return jg_buf_append(b, "null", 4);
    }
    return -EINVAL;
}
