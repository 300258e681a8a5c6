/* Creating tokens: shared by "jobgate-gateway token create" and POST /admin/tokens. */
#ifndef GW_TOKENS_H
#define GW_TOKENS_H

#include "db/db.h"
#include "http/auth.h"
#include "http/reply.h"

struct gw_new_token {
    long long id;
    char secret[GW_TOKEN_LEN + 1]; /* shown once, never stored */
    char tenant[128];
};

/**
 * Validate role, name and tenant (defaults to name), generate a secret and store its hash.
 * Returns 0; -EINVAL with @p p set (422); or -EIO when the database failed (db->err).
 */
int gw_token_create(struct db_conn *db, const char *role, const char *name, const char *tenant,
                    struct gw_new_token *out, struct gw_problem *p);

/**
 * Like gw_token_create, with a secret chosen by the deployment (kept in its own secret store) instead of
 * a random one; it must have the shape gw_token_generate() gives for the role (so its prefix names the
 * role). Idempotent: returns 1 (out->id and out->tenant of the existing token) when an active token
 * already has this secret, 0 when it was stored, -EINVAL (422) for a bad field or secret, -EIO when the
 * database failed. A revoked secret cannot come back: its hash is still stored, so the insert fails.
 */
int gw_token_import(struct db_conn *db, const char *role, const char *name, const char *tenant,
                    const char *secret, struct gw_new_token *out, struct gw_problem *p);

#endif
