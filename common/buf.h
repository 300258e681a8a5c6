/* A growable byte buffer with a hard cap (request bodies, responses, captured output). */
#ifndef JG_BUF_H
#define JG_BUF_H

#include <stddef.h>

struct jg_buf {
    char *data; /* owned; always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* appends beyond this many bytes fail with -E2BIG */
};

/* Initialise an empty buffer that accepts at most @p limit bytes. */
void jg_buf_init(struct jg_buf *b, size_t limit);

/* Append; returns 0, -E2BIG past the limit (buffer unchanged) or -ENOMEM. */
int jg_buf_append(struct jg_buf *b, const void *data, size_t len);

/* printf-style append; same returns as jg_buf_append. */
int jg_buf_printf(struct jg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Take ownership of the data (caller frees with free()); the buffer becomes empty. */
char *jg_buf_take(struct jg_buf *b, size_t *len);

/* Free the data; the buffer stays usable (empty). Tolerates a zeroed struct. */
void jg_buf_free(struct jg_buf *b);

#endif
