#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct gw_runtime builtin[] = {
    {"python3", GW_KIND_CALL | GW_KIND_FUNCTION | GW_KIND_PROGRAM,
     "Python 3 (Debian's /usr/bin/python3, cloudpickle for call jobs)"},
    {"c11", GW_KIND_PROGRAM, "C11, gcc -std=c11 -O2 -lm"},
    {"cpp17", GW_KIND_PROGRAM, "C++17, g++ -std=c++17 -O2"},
};

unsigned gw_kind_parse(const char *name)
{
    if (strcmp(name, "call") == 0)
        return GW_KIND_CALL;
    if (strcmp(name, "function") == 0)
        return GW_KIND_FUNCTION;
    if (strcmp(name, "program") == 0)
        return GW_KIND_PROGRAM;
    return 0;
}

const char *gw_kind_name(unsigned kind)
{
    switch (kind) {
    case GW_KIND_CALL:
        return "call";
    case GW_KIND_FUNCTION:
        return "function";
    case GW_KIND_PROGRAM:
        return "program";
    }
    return "unknown";
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n >= sizeof((struct gw_runtime *)0)->name)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-+", s[i]))
            return 0;
    return 1;
}

int gw_catalog_init(struct gw_catalog *cat, const char *extra, char *err, size_t errlen)
{
    memset(cat, 0, sizeof *cat);
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        cat->items[cat->n++] = builtin[i];
    const char *p = extra;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq || !valid_name(p, (size_t)(eq - p))) {
            snprintf(err, errlen, "runtimes: expected name=kind[+kind] in '%.*s'", (int)len, p);
            return -EINVAL;
        }
        struct gw_runtime rt = {0};
        memcpy(rt.name, p, (size_t)(eq - p));
        const char *k = eq + 1, *kend = p + len;
        while (k < kend) {
            const char *plus = memchr(k, '+', (size_t)(kend - k));
            size_t kl = plus ? (size_t)(plus - k) : (size_t)(kend - k);
            char kind[16];
            unsigned bit = 0;
            if (kl < sizeof kind) {
                memcpy(kind, k, kl);
                kind[kl] = '\0';
                bit = gw_kind_parse(kind);
            }
            if (!bit) {
                snprintf(err, errlen, "runtimes: unknown kind '%.*s' for %s", (int)kl, k, rt.name);
                return -EINVAL;
            }
            rt.kinds |= bit;
            k += kl + (plus ? 1 : 0);
        }
        if (!rt.kinds) {
            snprintf(err, errlen, "runtimes: %s has no kinds", rt.name);
            return -EINVAL;
        }
        snprintf(rt.description, sizeof rt.description, "configured runtime");
        struct gw_runtime *slot = (struct gw_runtime *)gw_catalog_find(cat, rt.name);
        if (!slot) {
            if (cat->n >= (int)(sizeof cat->items / sizeof *cat->items)) {
                snprintf(err, errlen, "runtimes: too many");
                return -EINVAL;
            }
            slot = &cat->items[cat->n++];
        }
        *slot = rt;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

const struct gw_runtime *gw_catalog_find(const struct gw_catalog *cat, const char *name)
{
    for (int i = 0; i < cat->n; i++)
        if (strcmp(cat->items[i].name, name) == 0)
            return &cat->items[i];
    return NULL;
}
