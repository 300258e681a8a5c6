/* SHA-256 (FIPS 180-4): token hashes, idempotency fingerprints, content addresses. */
#ifndef JG_SHA256_H
#define JG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define JG_SHA256_LEN 32

struct jg_sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used;
};

void jg_sha256_init(struct jg_sha256 *ctx);
void jg_sha256_update(struct jg_sha256 *ctx, const void *data, size_t len);
void jg_sha256_final(struct jg_sha256 *ctx, unsigned char out[JG_SHA256_LEN]);

/* One-shot digest. */
void jg_sha256(const void *data, size_t len, unsigned char out[JG_SHA256_LEN]);

/* One-shot digest as 64 lowercase hex characters plus NUL. */
void jg_sha256_hex(const void *data, size_t len, char out[2 * JG_SHA256_LEN + 1]);

#endif
