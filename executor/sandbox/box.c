/* box.c - one slot: its uid/gid, cgroup, and long-lived namespaces, prepared once and reused by runs. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Two supervisors must never share a box: they would kill each other's runs through the shared cgroup and
 * uid. The claim is an abstract Unix socket named after the uid: no file to clean up, released by the
 * kernel when the process dies. */
static int claim_uid(uid_t uid, int *out, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int len = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "jobgate-sbx/uid/%u", (unsigned)uid);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if(fd < 0)
        return -errno;
    if(bind(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) < 0) {
        int rc = -errno;
        close(fd);
        if(rc == -EADDRINUSE)
            sbx_errf(err, errlen, "uid %u is already used by a box of another process", (unsigned)uid);
        return rc;
    }
    *out = fd;
    return 0;
}

int sbx_box_init(struct sbx_ctx *ctx, unsigned id, struct sbx_box **out, char *err, size_t errlen)
{
    struct sbx_tree tree = {.root = -1};
    int rc = 0;
    struct sbx_box *box = calloc(1, sizeof *box);
    *out = NULL;
    if(!box)
        return -ENOMEM;
    box->ctx = ctx;
    box->id = id;
    box->uid = ctx->cfg.first_uid + id;
    box->gid = (gid_t)box->uid;
    box->mnt_ns = box->net_ns = box->uts_ns = box->host_net = box->devnull = box->cancel = -1;
    box->claim = -1;
    for(unsigned i = 0; i < 2; i++) {
        struct sbx_lane *l = &box->lanes[i];
        l->index = i;
        l->spawner_sock = l->spawner_pidfd = -1;
        l->init.pid = -1;
        l->init.pidfd = l->init.sock = l->init.boxfs = -1;
        sbx_cg_init_empty(&l->cg);
    }
    box->lane = &box->lanes[0];
    if(err && errlen)
        err[0] = '\0';

    rc = claim_uid(box->uid, &box->claim, err, errlen);
    if(rc)
        goto out;
    box->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    box->cancel = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    box->stack = malloc(SBX_CHILD_STACK);
    box->req = malloc(SBX_REQ_MAX);
    if(!box->stack || !box->req) {
        rc = -ENOMEM;
        goto out;
    }
    if(box->devnull < 0 || box->cancel < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "box %u: %s", id, strerror(-rc));
        goto out;
    }
    for(unsigned i = 0; i < 2 && rc == 0; i++)
        rc = sbx_cg_box_init(&box->lanes[i].cg, &ctx->caps, ctx->cg_mode, ctx->cfg.cgroup_name, id, i ? "-b" : "",
                             false, err, errlen);
    if(rc)
        goto out;
    rc = sbx_tree_build(ctx, box->uid, box->gid, &tree, err, errlen);
    if(rc)
        goto out;
    rc = sbx_ns_create(&tree, ctx->cfg.hostname, &box->mnt_ns, &box->net_ns, &box->uts_ns, err, errlen);
    if(rc)
        goto out;
    box->host_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if(box->host_net < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "open /proc/self/ns/net: %s", strerror(-rc));
        goto out;
    }
    for(unsigned i = 0; i < 2 && rc == 0; i++)
        rc = sbx_spawner_start(box, &box->lanes[i], err, errlen);
    if(rc)
        goto out;
    /* The first run's init at once, so that errors show here; the other lane's starts with that run. */
    rc = sbx_init_begin(box, box->lane, err, errlen);
    if(rc == 0)
        rc = sbx_init_finish(box, box->lane, err, errlen);
out:
    sbx_tree_free(&tree);
    if(rc) {
        sbx_box_close(box);
        return rc;
    }
    *out = box;
    return 0;
}

void sbx_box_close(struct sbx_box *box)
{
    if(!box)
        return;
    sbx_zygote_stop(box);
    for(unsigned i = 0; i < 2; i++) {
        struct sbx_lane *l = &box->lanes[i];
        if(l->init.pidfd >= 0 || l->init.pending) {
            struct sbx_cg_usage u;
            sbx_init_discard(box, l);
            sbx_cg_run_end(&l->cg, &u); /* v2: removes the unused run cgroup */
        }
        sbx_spawner_stop(l);
        sbx_cg_box_close(&l->cg);
    }
    sbx_close(&box->mnt_ns);
    sbx_close(&box->net_ns);
    sbx_close(&box->uts_ns);
    sbx_close(&box->host_net);
    sbx_close(&box->devnull);
    sbx_close(&box->cancel);
    sbx_close(&box->claim);
    free(box->stack);
    free(box->req);
    free(box);
}

uid_t sbx_box_uid(const struct sbx_box *box)
{
    return box->uid;
}

int sbx_box_cancel(struct sbx_box *box)
{
    uint64_t one = 1;
    if(write(box->cancel, &one, sizeof one) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

int sbx_box_enter(const struct sbx_box *box)
{
    if(setns(box->net_ns, CLONE_NEWNET) < 0 || setns(box->uts_ns, CLONE_NEWUTS) < 0 ||
       setns(box->mnt_ns, CLONE_NEWNS) < 0)
        return -errno;
    return 0;
}

int sbx_confine_self(const struct sbx_box *box, const struct sbx_limits *lim, enum sbx_profile profile)
{
    const char *step;
    struct sbx_limits l = *lim;
    sbx_limits_default(&l);
    return sbx_confine(box, &l, profile, SBX_NETWORK_NONE, NULL, &step);
}
