#include "base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 64 for '=', 255 for everything else. */
static const unsigned char *decode_table(void)
{
    static unsigned char table[256];
    static int ready;
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        unsigned char t[256];
        for (int i = 0; i < 256; i++)
            t[i] = 255;
        for (int i = 0; i < 64; i++)
            t[(unsigned char)alphabet[i]] = (unsigned char)i;
        t['='] = 64;
        for (int i = 0; i < 256; i++)
            table[i] = t[i];
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    return table;
}

size_t jg_base64_decoded_max(size_t enc_len)
{
    return enc_len / 4 * 3 + 3;
}

size_t jg_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

static long decode(const char *in, size_t len, unsigned char *out, size_t *bad_pos)
{
    const unsigned char *t = decode_table();
    size_t o = 0;
    size_t dummy;
    if (!bad_pos)
        bad_pos = &dummy;
    if (len % 4 != 0) {
        *bad_pos = len;
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i += 4) {
        unsigned char c[4];
        for (size_t k = 0; k < 4; k++) {
            c[k] = t[(unsigned char)in[i + k]];
            if (c[k] == 255) {
                *bad_pos = i + k;
                return -EINVAL;
            }
        }
        int last = (i + 4 == len);
        /* '=' only in the last quantum, only in positions 3 and 4, and "x=y" is invalid. */
        if (c[0] == 64 || c[1] == 64 || (c[2] == 64 && c[3] != 64) ||
            ((c[2] == 64 || c[3] == 64) && !last)) {
            *bad_pos = i + (c[0] == 64 ? 0 : c[1] == 64 ? 1 : c[2] == 64 ? 2 : 3);
            return -EINVAL;
        }
        uint32_t v = (uint32_t)c[0] << 18 | (uint32_t)c[1] << 12;
        if (c[2] == 64) {
            if (c[1] & 0x0f) { /* non-canonical trailing bits */
                *bad_pos = i + 1;
                return -EINVAL;
            }
            if (out)
                out[o] = (unsigned char)(v >> 16);
            o += 1;
            break;
        }
        v |= (uint32_t)c[2] << 6;
        if (c[3] == 64) {
            if (c[2] & 0x03) {
                *bad_pos = i + 2;
                return -EINVAL;
            }
            if (out) {
                out[o] = (unsigned char)(v >> 16);
                out[o + 1] = (unsigned char)(v >> 8);
            }
            o += 2;
            break;
        }
        v |= c[3];
        if (out) {
            out[o] = (unsigned char)(v >> 16);
            out[o + 1] = (unsigned char)(v >> 8);
            out[o + 2] = (unsigned char)v;
        }
        o += 3;
    }
    return (long)o;
}

long jg_base64_decode(const char *in, size_t len, unsigned char *out, size_t *bad_pos)
{
    return decode(in, len, out, bad_pos);
}

long jg_base64_validate(const char *in, size_t len, size_t *bad_pos)
{
    return decode(in, len, NULL, bad_pos);
}

void jg_base64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

char *jg_base64_encode_alloc(const unsigned char *in, size_t n)
{
    char *out = malloc(jg_base64_encoded_len(n) + 1);
    if (out)
        jg_base64_encode(in, n, out);
    return out;
}
