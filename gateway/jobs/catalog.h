/* The runtime catalog: which runtimes a job may name and which kinds each runs. */
#ifndef GW_CATALOG_H
#define GW_CATALOG_H

#include <stddef.h>

enum gw_kind { GW_KIND_CALL = 1, GW_KIND_FUNCTION = 2, GW_KIND_PROGRAM = 4 };

struct gw_runtime {
    char name[64];
    unsigned kinds; /* enum gw_kind bits */
    char description[96];
};

struct gw_catalog {
    struct gw_runtime items[160];
    int n;
};

/**
 * Built-in runtimes plus @p extra ("name=kind+kind,..."; may be empty). Returns 0, or -EINVAL with
 * a message in @p err.
 */
int gw_catalog_init(struct gw_catalog *cat, const char *extra, char *err, size_t errlen);

const struct gw_runtime *gw_catalog_find(const struct gw_catalog *cat, const char *name);

/* "call" -> GW_KIND_CALL; 0 when unknown. */
unsigned gw_kind_parse(const char *name);
const char *gw_kind_name(unsigned kind);

#endif
