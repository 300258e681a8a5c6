/*
 * Compact JSON text of jansson values, byte for byte what json_dumps(v, JSON_COMPACT) writes.
 * json_dumps formats every container's address for its loop check and allocates per container;
 * a submit writes a whole spec per job on the hot path, so it writes here instead.
 */
#ifndef GW_JSON_WRITE_H
#define GW_JSON_WRITE_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

/* Append @p v to @p b; returns 0 or what jg_buf_append returned (-E2BIG, -ENOMEM). */
int gw_json_write(struct jg_buf *b, const json_t *v);

/* Append the JSON string of the @p len bytes at @p s (valid UTF-8, as jansson holds them). */
int gw_json_write_string(struct jg_buf *b, const char *s, size_t len);

/* Append the JSON number of @p v (without printf: a submit writes several per job). */
int gw_json_write_int(struct jg_buf *b, long long v);

/* Append the NUL-terminated @p s as it is (JSON text already, or a piece of it). */
int gw_json_write_raw(struct jg_buf *b, const char *s);

#endif
