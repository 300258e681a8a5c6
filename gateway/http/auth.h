/* Bearer-token authentication: hashed secrets in PostgreSQL, a short per-thread cache. */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include "gateway.h"
#include "reply.h"

/**
 * Identify the caller from "Authorization: Bearer <token>" (or Judge0's "X-Auth-Token").
 * Returns 0 and fills rq->who, or -1 with @p p set to the 401 (or 503 when the database is
 * unreachable) to answer.
 */
int gw_authenticate(struct gw_request *rq, struct gw_problem *p);

/* Token secrets: "jg" + role letter + "_" + 64 hex characters (256 random bits). */
#define GW_TOKEN_LEN 68

/* Make a new secret for @p role into out (GW_TOKEN_LEN + 1 bytes); returns 0 or -errno. */
int gw_token_generate(enum gw_role role, char *out);

/* sha256 of a secret as 64 hex characters, as stored in tokens.secret_hash. */
void gw_token_hash(const char *secret, char out[65]);

/* Role names: "client", "executor", "admin". */
const char *gw_role_name(enum gw_role role);
int gw_role_parse(const char *name, enum gw_role *out);

#endif
