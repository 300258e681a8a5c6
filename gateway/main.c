/* jobgate-gateway: the REST gateway, and its maintenance commands (migrate, token). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db/db.h"
#include "db/migrations.h"
#include "gateway.h"
#include "http/server.h"
#include "jobs/catalog.h"
#include "jobs/job_json.h"
#include "log.h"
#include "queue/dispatcher.h"
#include "queue/events.h"
#include "queue/submitter.h"
#include "queue/sweeper.h"
#include "queue/waiters.h"
#include "tokens.h"

#define SHUTDOWN_GRACE_S 10

static int cmd_migrate(struct gw_config *cfg)
{
    struct db_conn *db = db_open(cfg->database_url, "migrate", NULL);
    int rc = db ? db_migrate(db) : -ENOMEM;
    db_close(db);
    return rc ? 1 : 0;
}

/* "token create --role R --name N [--tenant T] [--secret-env VAR]": the secret is the last line of
 * output. With --secret-env the secret is the one in environment variable VAR (a deployment's own
 * secret store, e.g. a Kubernetes Secret), and running it again is a no-op. */
static int cmd_token(struct gw_config *cfg, int argc, char **argv, int *pos, int npos)
{
    if (npos < 2) {
        fprintf(stderr, "jobgate-gateway token: expected create, list or revoke\n");
        return 2;
    }
    const char *sub = argv[pos[1]];
    const char *role = NULL, *name = NULL, *tenant = NULL, *id = NULL, *secret_env = NULL;
    for (int i = 2; i < npos; i++) {
        const char *a = argv[pos[i]];
        const char **dst = strcmp(a, "--role") == 0     ? &role
                           : strcmp(a, "--name") == 0   ? &name
                           : strcmp(a, "--tenant") == 0 ? &tenant
                           : strcmp(a, "--secret-env") == 0 ? &secret_env
                                                        : NULL;
        if (dst) {
            if (i + 1 >= npos) {
                fprintf(stderr, "jobgate-gateway token: %s needs a value\n", a);
                return 2;
            }
            *dst = argv[pos[++i]];
        } else if (strcmp(sub, "revoke") == 0 && !id && a[0] != '-') {
            id = a;
        } else {
            fprintf(stderr, "jobgate-gateway token: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    (void)argc;
    struct db_conn *db = db_open(cfg->database_url, "token", NULL);
    if (!db || db_migrate(db)) {
        db_close(db);
        return 1;
    }
    int rc = 0;
    if (strcmp(sub, "create") == 0) {
        if (!role || !name) {
            fprintf(stderr, "jobgate-gateway token create: --role and --name are required\n");
            rc = 2;
            goto out;
        }
        const char *secret = secret_env ? getenv(secret_env) : NULL;
        if (secret_env && (!secret || !*secret)) {
            fprintf(stderr, "jobgate-gateway token create: %s is not set\n", secret_env);
            rc = 2;
            goto out;
        }
        struct gw_new_token t;
        struct gw_problem p;
        int r = secret ? gw_token_import(db, role, name, tenant, secret, &t, &p)
                       : gw_token_create(db, role, name, tenant, &t, &p);
        if (r < 0) {
            fprintf(stderr, "jobgate-gateway token create: %s\n",
                    r == -EIO ? db->errmsg : p.detail);
            rc = r == -EIO ? 1 : 2;
            goto out;
        }
        if (secret)
            printf("%s %s token %lld (tenant %s) with the secret in $%s\n", r == 1 ? "kept" : "created",
                   role, t.id, t.tenant, secret_env);
        else
            printf("created %s token %lld (name %s, tenant %s); the secret is shown once:\n%s\n", role,
                   t.id, name, t.tenant, t.secret);
        memset(t.secret, 0, sizeof t.secret);
    } else if (strcmp(sub, "list") == 0) {
        PGresult *r = db_exec(db, STMT_TOKEN_LIST, 0, NULL);
        if (!r) {
            fprintf(stderr, "jobgate-gateway token list: %s\n", db->errmsg);
            rc = 1;
            goto out;
        }
        printf("%-6s %-9s %-24s %-24s %-14s %s\n", "ID", "ROLE", "NAME", "TENANT", "PREFIX",
               "STATE");
        for (int i = 0; i < PQntuples(r); i++)
            printf("%-6s %-9s %-24s %-24s %-14s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 3),
                   PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 4),
                   PQgetisnull(r, i, 6) ? "active" : "revoked");
        PQclear(r);
    } else if (strcmp(sub, "revoke") == 0) {
        char *end;
        if (!id || strtoll(id, &end, 10) <= 0 || *end) {
            fprintf(stderr, "jobgate-gateway token revoke: expected a token id\n");
            rc = 2;
            goto out;
        }
        const char *params[] = {id};
        PGresult *r = db_exec(db, STMT_TOKEN_REVOKE, 1, params);
        if (!r) {
            fprintf(stderr, "jobgate-gateway token revoke: %s\n", db->errmsg);
            rc = 1;
            goto out;
        }
        if (PQntuples(r) == 1) {
            printf("revoked token %s\n", id);
        } else {
            fprintf(stderr, "jobgate-gateway token revoke: no active token %s\n", id);
            rc = 1;
        }
        PQclear(r);
    } else {
        fprintf(stderr, "jobgate-gateway token: unknown command '%s'\n", sub);
        rc = 2;
    }
out:
    db_close(db);
    return rc;
}

static int cmd_serve(struct gw_ctx *gw)
{
    int rc = 1;
    struct gw_sweeper *sweeper = NULL;
    /* Signals are taken synchronously by this thread; every other thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct db_conn *db = db_open(gw->cfg.database_url, "migrate", NULL);
    if (!db || db_migrate(db)) {
        db_close(db);
        return 1;
    }
    db_close(db);
    atomic_store(&gw->db_ready, true);

    gw->waiters = gw_waiters_new();
    gw->dispatcher = gw->waiters ? gw_dispatcher_new(gw) : NULL;
    gw->events = gw->dispatcher ? gw_events_new(gw) : NULL;
    gw->submitter = gw->events ? gw_submitter_new(gw) : NULL;
    sweeper = gw->submitter ? gw_sweeper_new(gw) : NULL;
    if (!sweeper) {
        JG_ERROR("gateway", "cannot start background threads");
        goto out;
    }
    if (gw_server_start(gw))
        goto out;

    int sig = 0;
    sigwait(&sigs, &sig);
    JG_INFO("gateway", "%s: no new connections; finishing requests in flight",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    atomic_store(&gw->stopping, true);
    gw_server_quiesce(gw);
    /* Long-polls answer now with what they have; then in-flight requests drain. */
    gw_dispatcher_release_all(gw->dispatcher);
    gw_waiters_wake_all(gw->waiters);
    for (int i = 0; i < SHUTDOWN_GRACE_S * 20 && atomic_load(&gw->in_flight) > 0; i++) {
        struct timespec d = {0, 50000000L};
        nanosleep(&d, NULL);
        gw_dispatcher_release_all(gw->dispatcher);
        gw_waiters_wake_all(gw->waiters);
    }
    rc = 0;
out:
    gw_submitter_free(gw->submitter); /* commits what is queued and answers it */
    gw_server_stop(gw);
    gw_sweeper_free(sweeper);
    gw_events_free(gw->events);
    gw_dispatcher_free(gw->dispatcher);
    gw_waiters_free(gw->waiters);
    JG_INFO("gateway", "stopped");
    return rc;
}

int main(int argc, char **argv)
{
    static struct gw_ctx gw;
    static struct gw_catalog catalog;
    int pos[32], npos = 0;
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("jobgate-gateway 0.1.0 (schema %d)\n", db_migrations_count);
        return 0;
    }
    switch (gw_config_load(&gw.cfg, argc, argv, 1, pos, 32, &npos)) {
    case GW_CONFIG_HELP:
        gw_config_usage(stdout);
        return 0;
    case GW_CONFIG_ERROR:
        fprintf(stderr, "see jobgate-gateway --help\n");
        return 2;
    case GW_CONFIG_OK:
        break;
    }
    jg_log_set_level(gw.cfg.log_level);
    json_object_seed(0);
    char err[256];
    if (gw_catalog_init(&catalog, gw.cfg.runtimes, err, sizeof err)) {
        fprintf(stderr, "jobgate-gateway: %s\n", err);
        return 2;
    }
    gw.catalog = &catalog;
    const char *cmd = npos > 0 ? argv[pos[0]] : "serve";
    if (strcmp(cmd, "serve") == 0 && npos <= 1)
        return cmd_serve(&gw);
    if (strcmp(cmd, "migrate") == 0 && npos == 1)
        return cmd_migrate(&gw.cfg);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(&gw.cfg, argc, argv, pos, npos);
    fprintf(stderr, "jobgate-gateway: unexpected argument '%s'; see --help\n", cmd);
    return 2;
}
