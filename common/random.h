/* Unpredictable bytes from the kernel (getrandom), for ids, tokens and lease tokens. */
#ifndef JG_RANDOM_H
#define JG_RANDOM_H

#include <stddef.h>

/* Fill buf with n random bytes; returns 0 or -errno. */
int jg_random_bytes(void *buf, size_t n);

/* Write n random bytes as 2n lowercase hex characters plus NUL into out; returns 0 or -errno. */
int jg_random_hex(char *out, size_t n);

#endif
