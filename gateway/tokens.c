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

/* Validate role, name and tenant; on success *r is the role and *tenant is never NULL. */
static int check_fields(const char *role, const char *name, const char **tenant, enum gw_role *r,
                        struct gw_problem *p)
{
    if (gw_role_parse(role, r)) {
        gw_fail(p, 422, "invalid-field", "Invalid field", "role",
                "role must be client, executor or admin");
        return -EINVAL;
    }
    if (!valid_name(name)) {
        gw_fail(p, 422, "invalid-field", "Invalid field", "name",
                "name must be 1 to 100 letters, digits or ._-@:");
        return -EINVAL;
    }
    if (!*tenant)
        *tenant = name;
    if (!valid_name(*tenant)) {
        gw_fail(p, 422, "invalid-field", "Invalid field", "tenant",
                "tenant must be 1 to 100 letters, digits or ._-@:");
        return -EINVAL;
    }
    return 0;
}

/* Store the hash of out->secret under name, tenant and role. */
static int insert(struct db_conn *db, const char *role, const char *name, const char *tenant,
                  struct gw_new_token *out)
{
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

int gw_token_create(struct db_conn *db, const char *role, const char *name, const char *tenant,
                    struct gw_new_token *out, struct gw_problem *p)
{
    enum gw_role r;
    int rc = check_fields(role, name, &tenant, &r, p);
    if (rc)
        return rc;
    if (gw_token_generate(r, out->secret)) {
        gw_fail(p, 500, "internal", "Internal server error", "", "no randomness available");
        return -EIO;
    }
    return insert(db, role, name, tenant, out);
}

int gw_token_import(struct db_conn *db, const char *role, const char *name, const char *tenant,
                    const char *secret, struct gw_new_token *out, struct gw_problem *p)
{
    enum gw_role r;
    int rc = check_fields(role, name, &tenant, &r, p);
    if (rc)
        return rc;
    /* The shape gw_token_generate() gives: "jg", the role's initial, "_", 64 hex digits. */
    bool shaped = strlen(secret) == GW_TOKEN_LEN && strncmp(secret, "jg", 2) == 0 &&
                  secret[2] == gw_role_name(r)[0] && secret[3] == '_';
    for (size_t i = 4; shaped && i < GW_TOKEN_LEN; i++)
        shaped = isxdigit((unsigned char)secret[i]) && !isupper((unsigned char)secret[i]);
    if (!shaped) {
        gw_fail(p, 422, "invalid-field", "Invalid field", "secret",
                "secret must be \"jg\", the role's initial, \"_\" and 64 lowercase hex digits");
        return -EINVAL;
    }
    snprintf(out->secret, sizeof out->secret, "%s", secret);
    char hash[65];
    gw_token_hash(secret, hash);
    const char *params[] = {hash};
    PGresult *res = db_exec(db, STMT_TOKEN_LOOKUP, 1, params);
    if (!res)
        return -EIO;
    if (PQntuples(res) == 1) { /* the prefix names the role, so it is this role's token */
        out->id = db_ll(res, 0, 0);
        snprintf(out->tenant, sizeof out->tenant, "%s", PQgetvalue(res, 0, 1));
        PQclear(res);
        return 1;
    }
    PQclear(res);
    return insert(db, role, name, tenant, out);
}
