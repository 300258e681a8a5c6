/* Strict base64 (RFC 4648 §4, standard alphabet, padding required). */
#ifndef JG_BASE64_H
#define JG_BASE64_H

#include <stddef.h>

/* Length of the decoded data for an encoded length, an upper bound. */
size_t jg_base64_decoded_max(size_t enc_len);

/* Length of the encoding of n bytes, without the terminating NUL. */
size_t jg_base64_encoded_len(size_t n);

/**
 * Decode @p in (length @p len) into @p out (at least jg_base64_decoded_max(len) bytes).
 * Rejects characters outside the alphabet, whitespace, bad padding and non-zero trailing bits,
 * so that every byte string has exactly one accepted encoding.
 * @return the decoded length, or -EINVAL with *bad_pos set to the offending offset.
 */
long jg_base64_decode(const char *in, size_t len, unsigned char *out, size_t *bad_pos);

/* Validate without decoding; returns the decoded length or -EINVAL (see jg_base64_decode). */
long jg_base64_validate(const char *in, size_t len, size_t *bad_pos);

/* Encode n bytes into out (jg_base64_encoded_len(n) + 1 bytes); NUL-terminates. */
void jg_base64_encode(const unsigned char *in, size_t n, char *out);

/* Returns a new malloc'd NUL-terminated encoding, or NULL on allocation failure. */
char *jg_base64_encode_alloc(const unsigned char *in, size_t n);

#endif
