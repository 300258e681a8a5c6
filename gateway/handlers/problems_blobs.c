/* Content-addressed test data. POST /blobs (admin) stores {"data": base64} once under its SHA-256
 * (for problems larger than one request: upload the blobs, then PUT the problem naming them);
 * GET /blobs/<sha256> (executors) answers the raw bytes, which executors check against the hash
 * and cache on local disk (executor/cache.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "problems.h"
#include "sha256.h"

enum gw_result gw_handle_blobs_create(struct gw_request *rq)
{
    static const char *const fields[] = {"data", NULL};
    struct gw_problem p = {0};
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    enum gw_result res;
    const json_t *data = json_object_get(root, "data");
    size_t bad;
    unsigned char *bytes = NULL;
    if (!json_is_object(root) || gw_only_fields(root, fields, "", &p)) {
        if (!json_is_object(root))
            gw_fail(&p, 422, "invalid-field", "Invalid field", "", "the body must be an object");
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    if (!json_is_string(data) ||
        jg_base64_validate(json_string_value(data), json_string_length(data), &bad) < 0) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "data",
                             "data is required and must be base64 (RFC 4648, padded)");
        goto out;
    }
    bytes = malloc(jg_base64_decoded_max(json_string_length(data)) + 1);
    long n = bytes ? jg_base64_decode(json_string_value(data), json_string_length(data), bytes, &bad)
                   : -1;
    if (n < 0) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    char hex[65], size[24], hexes[70], sizes[30];
    jg_sha256_hex(bytes, (size_t)n, hex);
    snprintf(size, sizeof size, "%ld", n);
    snprintf(hexes, sizeof hexes, "{%s}", hex);
    snprintf(sizes, sizeof sizes, "{%s}", size);
    struct jg_buf arr;
    jg_buf_init(&arr, (size_t)1 << 31);
    if (jg_buf_append(&arr, "{", 1) | gw_pg_array_add(&arr, json_string_value(data), true) |
        jg_buf_append(&arr, "}", 1)) {
        jg_buf_free(&arr);
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    struct db_conn *db = gw_db(rq);
    const char *params[] = {hexes, sizes, arr.data};
    PGresult *r = db_exec(db, STMT_BLOBS_PUT, 3, params);
    jg_buf_free(&arr);
    if (!r) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    PQclear(r);
    res = gw_reply_json(rq, 201, json_pack("{s:s, s:I}", "sha256", hex, "size", (json_int_t)n));
out:
    free(bytes);
    json_decref(root);
    return res;
}

enum gw_result gw_handle_blobs_get(struct gw_request *rq)
{
    char hex[65];
    if (!gw_sha256_hex_valid(rq->param, hex))
        return gw_reply_error(rq, 404, "not-found", "Not found", "sha256", "no such blob");
    struct db_conn *db = gw_db(rq);
    const char *params[] = {hex};
    PGresult *r = db_exec(db, STMT_BLOB_GET, 1, params);
    if (!r)
        return gw_reply_db_error(rq, db);
    if (PQntuples(r) != 1) {
        PQclear(r);
        return gw_reply_error(rq, 404, "not-found", "Not found", "sha256", "no such blob");
    }
    size_t len;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len);
    PQclear(r);
    if (!bytes)
        return gw_reply_internal(rq, "out of memory");
    enum gw_result res = gw_reply_text(rq, 200, "application/octet-stream", (const char *)bytes, len);
    PQfreemem(bytes);
    return res;
}
