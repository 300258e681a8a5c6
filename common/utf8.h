/* UTF-8 checks: anything echoed into JSON must be valid UTF-8, and request bytes may not be. */
#ifndef JG_UTF8_H
#define JG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
bool jg_utf8_valid(const char *s, size_t len);

/* Replace every byte that is not part of a well-formed sequence by '?', in place. */
void jg_utf8_sanitize(char *s);

#endif
