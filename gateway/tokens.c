#include "tokens.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-@:", s[i]))
            return false;
    return true;
}

int gw_token_create(struct db_conn *db, const char *role, const char *name, const char *tenant,
                    struct gw_new_token *out, struct gw_problem *p)
{
    enum gw_role r;
    if (gw_role_parse(role, &r)) {
        gw_fail(p, 422, "invalid-field", "Invalid field", "role",
                "role must be client, executor or admin");
        return -EINVAL;
    }
    if (!valid_name(name)) {
        gw_fail(p, 422, "invalid-field", "Invalid field", "name",
                "name must be 1 to 100 letters, digits or ._-@:");
        return -EINVAL;
    }
    if (!tenant)
        tenant = name;
    if (!valid_name(tenant)) {
        gw_fail(p, 422, "invalid-field", "Invalid field", "tenant",
                "tenant must be 1 to 100 letters, digits or ._-@:");
        return -EINVAL;
    }
    if (gw_token_generate(r, out->secret)) {
        gw_fail(p, 500, "internal", "Internal server error", "", "no randomness available");
        return -EIO;
    }
    char hash[65], prefix[16];
    gw_token_hash(out->secret, hash);
    snprintf(prefix, sizeof prefix, "%.12s", out->secret);
    const char *params[] = {name, tenant, role, hash, prefix};
    PGresult *res = db_exec(db, STMT_TOKEN_CREATE, 5, params);
    if (!res)
        return -EIO;
    out->id = db_ll(res, 0, 0);
    snprintf(out->tenant, sizeof out->tenant, "%s", tenant);
    PQclear(res);
    return 0;
}
