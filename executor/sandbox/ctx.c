/* ctx.c - the sandbox context: configuration, the host probe, and the seccomp BPF compiled once. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct sbx_bind default_binds[] = {
    {"/usr", NULL, false},
    {"/bin", NULL, true},
    {"/sbin", NULL, true},
    {"/lib", NULL, true},
    {"/lib64", NULL, true},
    {"/lib32", NULL, true},
    {"/libx32", NULL, true},
    {"/etc/alternatives", NULL, true}, /* cc, c++, python links on Debian */
    {"/etc/ld.so.cache", NULL, true},
    {"/etc/localtime", NULL, true},
    {"/etc/python3.11", NULL, true},   /* Debian's sitecustomize lives here */
    {"/etc/python3", NULL, true},
};

size_t sbx_default_binds(const struct sbx_bind **out)
{
    *out = default_binds;
    return sizeof default_binds / sizeof default_binds[0];
}

void sbx_limits_default(struct sbx_limits *l)
{
    if(!l->cpu_ms)
        l->cpu_ms = 10000;
    if(!l->wall_ms)
        l->wall_ms = 2 * l->cpu_ms + 1000;
    if(!l->memory_kb)
        l->memory_kb = 256 * 1024;
    if(!l->stack_kb)
        l->stack_kb = l->memory_kb;
    if(!l->output_bytes)
        l->output_bytes = 64u << 20;
    if(!l->stderr_bytes)
        l->stderr_bytes = l->output_bytes;
    if(!l->file_size_bytes)
        l->file_size_bytes = 64u << 20;
    if(!l->processes)
        l->processes = 64;
    if(!l->open_files)
        l->open_files = 256;
}

const char *sbx_verdict_name(enum sbx_verdict v)
{
    switch(v) {
    case SBX_OK: return "OK";
    case SBX_RE_EXIT: return "RE";
    case SBX_RE_SIGNAL: return "SIG";
    case SBX_SYS: return "SYS";
    case SBX_OLE: return "OLE";
    case SBX_MLE: return "MLE";
    case SBX_TLE_WALL: return "TLE_WALL";
    case SBX_TLE_CPU: return "TLE_CPU";
    case SBX_INTERNAL: return "INTERNAL";
    }
    return "?";
}

/* Keep a private copy of a caller string; the ctx owns it. */
static const char *keep(struct sbx_ctx *ctx, const char *s)
{
    if(!s)
        return NULL;
    char **v = realloc(ctx->strings, (ctx->nstrings + 1) * sizeof *v);
    if(!v)
        return NULL;
    ctx->strings = v;
    v[ctx->nstrings] = strdup(s);
    return v[ctx->nstrings] ? v[ctx->nstrings++] : NULL;
}

static int copy_config(struct sbx_ctx *ctx, const struct sbx_config *cfg)
{
    const struct sbx_bind *binds = cfg->binds;
    size_t n = cfg->nbinds;
    ctx->cfg = *cfg;
    if(!binds)
        n = sbx_default_binds(&binds);
    if(!ctx->cfg.first_uid)
        ctx->cfg.first_uid = 60000;
    if(!ctx->cfg.tmpfs_kb)
        ctx->cfg.tmpfs_kb = 64 * 1024;
    if(!ctx->cfg.tmpfs_inodes)
        ctx->cfg.tmpfs_inodes = 4096;
    if(!ctx->cfg.required)
        ctx->cfg.required = SBX_CAPS_MINIMUM;
    ctx->cfg.cgroup_name = keep(ctx, cfg->cgroup_name ? cfg->cgroup_name : "jobgate-sbx");
    ctx->cfg.hostname = keep(ctx, cfg->hostname ? cfg->hostname : "sandbox");
    if(!ctx->cfg.cgroup_name || !ctx->cfg.hostname || strchr(ctx->cfg.cgroup_name, '/'))
        return ctx->cfg.cgroup_name && ctx->cfg.hostname ? -EINVAL : -ENOMEM;
    ctx->binds = calloc(n ? n : 1, sizeof *ctx->binds);
    if(!ctx->binds)
        return -ENOMEM;
    for(size_t i = 0; i < n; i++) {
        ctx->binds[i].source = keep(ctx, binds[i].source);
        ctx->binds[i].target = binds[i].target ? keep(ctx, binds[i].target) : NULL;
        ctx->binds[i].optional = binds[i].optional;
        if(!ctx->binds[i].source || (binds[i].target && !ctx->binds[i].target))
            return -ENOMEM;
    }
    ctx->cfg.binds = ctx->binds;
    ctx->cfg.nbinds = n;
    return 0;
}

int sbx_ctx_init(struct sbx_ctx **out, const struct sbx_config *cfg, char *err, size_t errlen)
{
    char missing[256], buf[16];
    int rc;
    struct sbx_ctx *ctx = calloc(1, sizeof *ctx);
    *out = NULL;
    if(err && errlen)
        err[0] = '\0';
    if(!ctx)
        return -ENOMEM;
    rc = copy_config(ctx, cfg);
    if(rc) {
        sbx_errf(err, errlen, "config: %s", strerror(-rc));
        goto out;
    }
    rc = sbx_probe(&ctx->caps);
    if(rc) {
        sbx_errf(err, errlen, "probe: %s", strerror(-rc));
        goto out;
    }
    ctx->cg_mode = ctx->caps.cgroup;
    if(ctx->cfg.cgroup_disable) {
        ctx->cg_mode = SBX_CGROUP_NONE;
        ctx->caps.have &= ~(uint32_t)(SBX_CAP_CG_MEMORY | SBX_CAP_CG_PIDS | SBX_CAP_CG_CPU | SBX_CAP_CG_PEAK |
                                      SBX_CAP_CG_NOSWAP);
    } else if(ctx->cfg.cgroup_force_v2) {
        if(!ctx->caps.cg_unified[0]) {
            rc = -ENOENT;
            sbx_errf(err, errlen, "cgroup_force_v2: no cgroup2 mount");
            goto out;
        }
        /* Only what v2 gives without controllers here: CPU accounting and cgroup.kill. */
        if(ctx->caps.cgroup != SBX_CGROUP_V2)
            ctx->caps.have &= ~(uint32_t)(SBX_CAP_CG_MEMORY | SBX_CAP_CG_PIDS | SBX_CAP_CG_PEAK |
                                          SBX_CAP_CG_NOSWAP);
        ctx->cg_mode = SBX_CGROUP_V2;
    }
    rc = sbx_caps_check(&ctx->caps, ctx->cfg.required, missing, sizeof missing);
    if(rc) {
        sbx_errf(err, errlen, "this host cannot enforce: %s", missing);
        goto out;
    }
    for(int net = SBX_NETWORK_NONE; net <= SBX_NETWORK_HOST; net++) {
        rc = sbx_seccomp_build(SBX_PROFILE_DEFAULT, (enum sbx_network)net, &ctx->bpf[net],
                               &ctx->bpf_len[net]);
        if(rc) {
            sbx_errf(err, errlen, "seccomp filter: %s", strerror(-rc));
            goto out;
        }
    }
    rc = sbx_seccomp_build_zygote(&ctx->bpf_zygote, &ctx->bpf_zygote_len);
    if(rc) {
        sbx_errf(err, errlen, "seccomp filter of the zygote: %s", strerror(-rc));
        goto out;
    }
    ctx->cap_last = 40;
    if(sbx_read_small(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", buf, sizeof buf) == 0)
        ctx->cap_last = atoi(buf);
out:
    if(rc)
        sbx_ctx_close(ctx);
    else
        *out = ctx;
    return rc;
}

const struct sbx_caps *sbx_ctx_caps(const struct sbx_ctx *ctx)
{
    return &ctx->caps;
}

void sbx_ctx_close(struct sbx_ctx *ctx)
{
    if(!ctx)
        return;
    for(size_t i = 0; i < ctx->nstrings; i++)
        free(ctx->strings[i]);
    free(ctx->strings);
    free(ctx->binds);
    free(ctx->bpf[SBX_NETWORK_NONE]);
    free(ctx->bpf[SBX_NETWORK_HOST]);
    free(ctx->bpf_zygote);
    free(ctx);
}
