/* The test-data cache: content-addressed blobs (problem manifests, test inputs and expected
 * outputs, compiled checkers) on local disk, one file per SHA-256, bounded in bytes, least recently
 * used evicted first. A contest's thousands of submissions move each test over the network once
 * per executor. Blobs from the gateway (GET /blobs/<sha256>) are checked against their hash before
 * they are kept. Thread-safe: every slot's worker uses the one cache.
 *
 * Files are only ever opened read-only by descriptor and handed to the sandbox by descriptor (as
 * stdin, or copied into the box); an evicted file that is still open stays readable until closed. */
#ifndef EX_CACHE_H
#define EX_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

struct ex_cache;

struct ex_cache_stats {
    long hits, misses, evictions, entries;
    uint64_t bytes;
};

/* Open (creating) @p dir, index what it already holds (oldest first by mtime) and trim it to
 * @p max_bytes. Returns 0 or -errno with a message in err. */
int ex_cache_open(struct ex_cache **out, const char *dir, uint64_t max_bytes, char *err,
                  size_t errlen);
void ex_cache_close(struct ex_cache *c);

/* A read-only descriptor of blob @p hex (64 lower-case hex digits), downloaded through @p h when
 * absent (h may be NULL: then absent is -ENOENT). Returns the fd (caller closes) or -errno with a
 * message in err: -ENOENT (the gateway has no such blob), -EBADMSG (the bytes do not match the
 * hash), -EIO (the gateway could not be reached). */
int ex_cache_open_blob(struct ex_cache *c, struct ex_http *h, const char *hex, char *err,
                       size_t errlen);

/* The whole blob in memory (malloc'd, NUL-terminated; len excludes the NUL). Same errors. */
int ex_cache_read(struct ex_cache *c, struct ex_http *h, const char *hex, char **data,
                  size_t *len, char *err, size_t errlen);

/* Keep @p data under @p key (64 hex digits; for derived artefacts such as a compiled checker,
 * whose key the caller makes from what it was built from). Returns 0 or -errno. */
int ex_cache_put(struct ex_cache *c, const char *key, const void *data, size_t len);

void ex_cache_stats(struct ex_cache *c, struct ex_cache_stats *out);

/* Read all of fd (from offset 0) into a malloc'd NUL-terminated buffer. Returns 0 or -errno. */
int ex_read_fd(int fd, size_t max, char **data, size_t *len);

#endif
