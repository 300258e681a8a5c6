/* cgroup.c - per-box cgroups: limits and accounting for memory, pids and CPU, on v1 and on v2.
 *
 * A box has two run lanes used in turn (box<id> and box<id>-b: the next run's init is prepared in the other
 * lane while a run goes) and its zygote's (box<id>-zygote); each is a "box" below.
 *
 * v1 (hybrid hosts such as Debian with systemd.unified_cgroup_hierarchy=0): each controller is its own
 * hierarchy. The box owns <own cgroup>/<name>/box<id> in memory, pids and cpuacct, reused across runs and
 * reset at each start (max_usage_in_bytes <- 0, cpuacct.usage <- 0, failcnt <- 0; the oom_kill counter
 * cannot be reset, so it is read before and after). The box's spawner joins once (cgroup.procs) and the
 * run inits it forks are born inside, since CLONE_INTO_CGROUP only reaches the unified tree.
 *
 * v2: the box owns <own cgroup>/<name>/box<id>, and each run gets a fresh child "r<seq>", made when the
 * run's init is started ahead of the run: its memory.peak, cpu.stat and memory.events start at zero on
 * every kernel, and the init is born in it with CLONE_INTO_CGROUP. The limits are written when the run
 * begins. cgroup.kill ends anything left, then the directory is removed.
 *
 * Boxes always nest below the supervisor's own cgroup, so the limits of whatever runs the daemon (a
 * Kubernetes pod, a systemd unit) still bound the boxes. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_box_dir(const char *base, const char *name, unsigned id, const char *suffix, int *out, char *err,
                        size_t errlen)
{
    char path[SBX_PATH_MAX + 64];
    int rc;
    snprintf(path, sizeof path, "%s/%s/box%u%s", base, name, id, suffix);
    rc = sbx_mkdir_p(path, 0755);
    if(rc) {
        sbx_errf(err, errlen, "mkdir %s: %s", path, strerror(-rc));
        return rc;
    }
    *out = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if(*out < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "open %s: %s", path, strerror(-rc));
    }
    return rc;
}

static int open_at(int dir, const char *file, int flags)
{
    int fd = openat(dir, file, flags | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void sbx_cg_init_empty(struct sbx_cg *cg)
{
    memset(cg, 0, sizeof *cg);
    cg->mem_dir = cg->pids_dir = cg->cpu_dir = -1;
    cg->mem_procs = cg->pids_procs = cg->cpu_procs = cg->cpu_usage = cg->mem_usage = -1;
    cg->box_dir = cg->run_dir = cg->run_cpu_stat = cg->leaf_procs = -1;
}

/* The box's directory in one v1 hierarchy, and its cgroup.procs (the spawner joins through it). */
static int v1_open(const char *base, const char *name, unsigned id, const char *suffix, int *dir, int *procs,
                   char *err, size_t errlen)
{
    int rc = open_box_dir(base, name, id, suffix, dir, err, errlen);
    if(rc == 0 && (rc = *procs = open_at(*dir, "cgroup.procs", O_WRONLY)) > 0)
        rc = 0;
    return rc;
}

static int v1_init(struct sbx_cg *cg, const struct sbx_caps *caps, const char *name, unsigned id,
                   const char *suffix, char *err, size_t errlen)
{
    int rc = 0;
    if(caps->have & SBX_CAP_CG_MEMORY) {
        rc = v1_open(caps->cg_memory, name, id, suffix, &cg->mem_dir, &cg->mem_procs, err, errlen);
        if(rc)
            goto out;
        rc = cg->mem_usage = open_at(cg->mem_dir, "memory.usage_in_bytes", O_RDONLY);
        if(rc < 0)
            goto out;
        cg->have_memsw = faccessat(cg->mem_dir, "memory.memsw.limit_in_bytes", W_OK, 0) == 0;
        /* No swapping inside the box even where swap exists and memsw accounting is off. */
        sbx_write_str_at(cg->mem_dir, "memory.swappiness", "0");
    }
    if(caps->have & SBX_CAP_CG_PIDS) {
        rc = v1_open(caps->cg_pids, name, id, suffix, &cg->pids_dir, &cg->pids_procs, err, errlen);
        if(rc)
            goto out;
    }
    if(caps->have & SBX_CAP_CG_CPU) {
        rc = v1_open(caps->cg_cpuacct, name, id, suffix, &cg->cpu_dir, &cg->cpu_procs, err, errlen);
        if(rc)
            goto out;
        rc = cg->cpu_usage = open_at(cg->cpu_dir, "cpuacct.usage", O_RDWR);
        if(rc < 0)
            goto out;
    }
    rc = 0;
out:
    if(rc < 0 && err && !err[0])
        sbx_errf(err, errlen, "cgroup v1 box %u: %s", id, strerror(-rc));
    return rc < 0 ? rc : 0;
}

/* Enable controllers for the children of dir. EBUSY means dir has member processes (the v2 "no internal
 * processes" rule): the daemon must then run in a leaf of its own, which we say plainly. */
static int v2_enable(int dir, const char *path, bool memory, bool pids, char *err, size_t errlen)
{
    if(!memory && !pids)
        return 0;
    char ctl[32] = "";
    if(memory)
        strcat(ctl, "+memory ");
    if(pids)
        strcat(ctl, "+pids");
    int rc = sbx_write_str_at(dir, "cgroup.subtree_control", ctl);
    if(rc == -EBUSY)
        sbx_errf(err, errlen,
                 "cgroup v2: cannot enable %s below %s: it has processes; start the daemon in a leaf cgroup "
                 "(e.g. move it to %s/supervisor) so that its parent can delegate",
                 ctl, path, path);
    else if(rc)
        sbx_errf(err, errlen, "cgroup v2: enable %s in %s: %s", ctl, path, strerror(-rc));
    return rc;
}

static int v2_rmdir_run(struct sbx_cg *cg, const char *name);

/* Run cgroups left in the box's directory by a supervisor that died: the box is ours alone (its uid is
 * claimed), so every one of them is stale. */
static void v2_remove_stale(struct sbx_cg *cg)
{
    int fd = openat(cg->box_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    struct dirent *e;
    char names[64][32];
    int n = 0;
    while(d && (e = readdir(d)) && n < 64)
        if(e->d_type == DT_DIR && e->d_name[0] == 'r' && strlen(e->d_name) < sizeof names[0])
            strcpy(names[n++], e->d_name);
    if(d)
        closedir(d);
    else if(fd >= 0)
        close(fd);
    for(int i = 0; i < n; i++)
        v2_rmdir_run(cg, names[i]);
}

static int v2_init(struct sbx_cg *cg, const struct sbx_caps *caps, const char *name, unsigned id,
                   const char *suffix, char *err, size_t errlen)
{
    char path[SBX_PATH_MAX + 64];
    int rc, dir = -1;
    cg->v2_memory = caps->cgroup == SBX_CGROUP_V2 && (caps->have & SBX_CAP_CG_MEMORY);
    cg->v2_pids = caps->cgroup == SBX_CGROUP_V2 && (caps->have & SBX_CAP_CG_PIDS);

    dir = open(caps->cg_unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if(dir < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "open %s: %s", caps->cg_unified, strerror(-rc));
        goto out;
    }
    rc = v2_enable(dir, caps->cg_unified, cg->v2_memory, cg->v2_pids, err, errlen);
    if(rc)
        goto out;
    close(dir);
    snprintf(path, sizeof path, "%s/%s", caps->cg_unified, name);
    if(mkdir(path, 0755) < 0 && errno != EEXIST) {
        rc = -errno;
        sbx_errf(err, errlen, "mkdir %s: %s", path, strerror(-rc));
        dir = -1;
        goto out;
    }
    dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if(dir < 0) {
        rc = -errno;
        goto out;
    }
    rc = v2_enable(dir, path, cg->v2_memory, cg->v2_pids, err, errlen);
    if(rc)
        goto out;
    rc = open_box_dir(caps->cg_unified, name, id, suffix, &cg->box_dir, err, errlen);
    if(rc)
        goto out;
    v2_remove_stale(cg);
    snprintf(path, sizeof path, "%s/%s/box%u%s", caps->cg_unified, name, id, suffix);
    rc = v2_enable(cg->box_dir, path, cg->v2_memory, cg->v2_pids, err, errlen);
    if(rc || !cg->zygote)
        goto out;
    /* The zygote itself lives in a leaf beside its runs' cgroups ("no internal processes"), a new one for
     * each zygote: one that a cgroup.kill ever reached makes the kernel kill what is cloned from it into a
     * younger cgroup (6.18). */
    if(v2_rmdir_run(cg, "z") < 0 || mkdirat(cg->box_dir, "z", 0755) < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "mkdir %s/z: %s", path, strerror(-rc));
        goto out;
    }
    int leaf = openat(cg->box_dir, "z", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cg->leaf_procs = leaf < 0 ? -1 : openat(leaf, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if(cg->leaf_procs < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "%s/z/cgroup.procs: %s", path, strerror(-rc));
    }
    if(leaf >= 0)
        close(leaf);
out:
    if(dir >= 0)
        close(dir);
    return rc;
}

int sbx_cg_box_init(struct sbx_cg *cg, const struct sbx_caps *caps, enum sbx_cgroup_mode mode,
                    const char *name, unsigned id, const char *suffix, bool zygote, char *err, size_t errlen)
{
    sbx_cg_init_empty(cg);
    cg->mode = mode;
    cg->zygote = zygote;
    int rc = 0;
    if(mode == SBX_CGROUP_V1)
        rc = v1_init(cg, caps, name, id, suffix, err, errlen);
    else if(mode == SBX_CGROUP_V2)
        rc = v2_init(cg, caps, name, id, suffix, err, errlen);
    if(rc)
        sbx_cg_box_close(cg);
    return rc;
}

/* Remove a v2 cgroup below the box's; it can be briefly busy while its last tasks finish exiting. Only it
 * is killed, never the box's whole directory: a zygote lives beside its runs' cgroups (and a cgroup.kill
 * there would also kill every child the zygote clones into a cgroup created after it, on this kernel). */
static int v2_rmdir_run(struct sbx_cg *cg, const char *name)
{
    for(int i = 0; i < 200; i++) {
        if(unlinkat(cg->box_dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return 0;
        if(errno != EBUSY)
            return -errno;
        int dir = openat(cg->box_dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if(dir >= 0) {
            sbx_write_str_at(dir, "cgroup.kill", "1");
            close(dir);
        }
        usleep(1000);
    }
    return -EBUSY;
}

void sbx_cg_box_close(struct sbx_cg *cg)
{
    sbx_close(&cg->mem_procs);
    sbx_close(&cg->pids_procs);
    sbx_close(&cg->cpu_procs);
    sbx_close(&cg->cpu_usage);
    sbx_close(&cg->mem_usage);
    sbx_close(&cg->run_cpu_stat);
    sbx_close(&cg->run_dir);
    sbx_close(&cg->leaf_procs);
    /* The box directories stay: the next daemon reuses them, and rmdir would race their last tasks. */
    sbx_close(&cg->mem_dir);
    sbx_close(&cg->pids_dir);
    sbx_close(&cg->cpu_dir);
    sbx_close(&cg->box_dir);
}

static int write_u64_at(int dir, const char *file, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return sbx_write_str_at(dir, file, buf);
}

static int v1_begin(struct sbx_cg *cg, const struct sbx_limits *lim)
{
    int rc = 0;
    if(cg->mem_dir >= 0) {
        /* Charges left by earlier runs (page cache, dentries of their /proc, kernel objects) and the
         * waiting init's own pages are still counted: the peak is reported above this baseline. The
         * stale part is reclaimable, so it never causes an OOM kill. (force_empty would clear it, but
         * costs ~0.5 ms, and with the init already inside it spins on unreclaimable pages.) */
        cg->mem_base = 0;
        sbx_read_u64_fd(cg->mem_usage, &cg->mem_base);
        uint64_t limit = lim->memory_kb * 1024;
        /* A zygote's cgroup holds the zygote too (and the run's init, a copy of it): the run may add its limit
         * above what is charged now, rounded up to 4 MiB so that the limit is rarely rewritten. */
        if(cg->zygote)
            limit += (cg->mem_base + (4u << 20) - 1) & ~(uint64_t)((4u << 20) - 1);
        if(limit != cg->mem_limit_set) {
            /* memsw must stay >= limit at every step: open it up, set the limit, then close it down. */
            if(cg->have_memsw)
                sbx_write_str_at(cg->mem_dir, "memory.memsw.limit_in_bytes", "-1");
            rc = write_u64_at(cg->mem_dir, "memory.limit_in_bytes", limit);
            if(rc)
                goto out;
            if(cg->have_memsw) {
                rc = write_u64_at(cg->mem_dir, "memory.memsw.limit_in_bytes", limit);
                if(rc)
                    goto out;
            }
            cg->mem_limit_set = limit;
        }
        rc = sbx_write_str_at(cg->mem_dir, "memory.max_usage_in_bytes", "0");
        if(rc)
            goto out;
        sbx_write_str_at(cg->mem_dir, "memory.failcnt", "0");
        sbx_read_key_u64(cg->mem_dir, "memory.oom_control", "oom_kill", &cg->oom_before);
    }
    /* +2: the box's spawner and the run's init are in the cgroup too. A zygote's: the tasks there now (the
     * zygote, the run's init and the child that becomes the program, counted in the limit) - 1. */
    uint64_t pids = lim->processes + 2u, now;
    char buf[32];
    if(cg->zygote && cg->pids_dir >= 0 && sbx_read_small(cg->pids_dir, "pids.current", buf, sizeof buf) == 0 &&
       (now = strtoull(buf, NULL, 10)) > 0)
        pids = lim->processes + now - 1;
    if(cg->pids_dir >= 0 && pids != cg->pids_limit_set) {
        rc = write_u64_at(cg->pids_dir, "pids.max", pids);
        if(rc)
            goto out;
        cg->pids_limit_set = pids;
    }
    if(cg->cpu_usage >= 0)
        rc = sbx_write_u64_fd(cg->cpu_usage, 0);
out:
    return rc;
}

int sbx_cg_run_prepare(struct sbx_cg *cg)
{
    int rc = 0;
    if(cg->mode != SBX_CGROUP_V2)
        return 0;
    if(cg->stale_name[0] && v2_rmdir_run(cg, cg->stale_name) == 0)
        cg->stale_name[0] = '\0';
    /* A run cgroup of this name may be left by a supervisor that died (the sequence starts again at 0):
     * it goes, or the next name is taken. */
    for(int tries = 0;; tries++) {
        snprintf(cg->run_name, sizeof cg->run_name, "r%" PRIu64, cg->seq++);
        if(mkdirat(cg->box_dir, cg->run_name, 0755) == 0)
            break;
        if(errno != EEXIST || tries == 8)
            return -errno;
        if(v2_rmdir_run(cg, cg->run_name) == 0 && mkdirat(cg->box_dir, cg->run_name, 0755) == 0)
            break;
    }
    cg->run_dir = openat(cg->box_dir, cg->run_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cg->run_cpu_stat = cg->run_dir < 0 ? -1 : openat(cg->run_dir, "cpu.stat", O_RDONLY | O_CLOEXEC);
    if(cg->run_dir < 0 || cg->run_cpu_stat < 0) {
        rc = -errno;
        sbx_close(&cg->run_dir);
        unlinkat(cg->box_dir, cg->run_name, AT_REMOVEDIR);
    }
    return rc;
}

static int v2_begin(struct sbx_cg *cg, const struct sbx_limits *lim)
{
    int rc = 0;
    if(cg->run_dir < 0)
        return -EBADF;
    if(cg->v2_memory) {
        rc = write_u64_at(cg->run_dir, "memory.max", lim->memory_kb * 1024);
        if(rc)
            goto out;
        /* Absent when the kernel has no swap accounting: then there is nothing to switch off. */
        if(faccessat(cg->run_dir, "memory.swap.max", W_OK, 0) == 0) {
            rc = sbx_write_str_at(cg->run_dir, "memory.swap.max", "0");
            if(rc)
                goto out;
        }
    }
    if(cg->v2_pids)
        rc = write_u64_at(cg->run_dir, "pids.max", lim->processes + 1u);
out:
    return rc;
}

int sbx_cg_run_begin(struct sbx_cg *cg, const struct sbx_limits *lim)
{
    if(cg->mode == SBX_CGROUP_V1)
        return v1_begin(cg, lim);
    if(cg->mode == SBX_CGROUP_V2)
        return v2_begin(cg, lim);
    return 0;
}

int sbx_cg_clone_fd(const struct sbx_cg *cg)
{
    return cg->mode == SBX_CGROUP_V2 ? cg->run_dir : -1;
}

/* Runs in the box's spawner, once: "0" is the writing process itself. */
int sbx_cg_attach_self(const struct sbx_cg *cg)
{
    const int fds[] = {cg->mem_procs, cg->pids_procs, cg->cpu_procs};
    if(cg->mode != SBX_CGROUP_V1)
        return 0; /* v2: born in the run cgroup by CLONE_INTO_CGROUP */
    for(size_t i = 0; i < 3; i++)
        if(fds[i] >= 0 && write(fds[i], "0", 1) != 1)
            return -errno;
    return 0;
}

static int v2_cpu_us(struct sbx_cg *cg, uint64_t *us)
{
    char buf[512];
    ssize_t n = pread(cg->run_cpu_stat, buf, sizeof buf - 1, 0);
    if(n < 0)
        return -errno;
    buf[n] = '\0';
    const char *p = strstr(buf, "usage_usec ");
    if(!p)
        return -EINVAL;
    *us = strtoull(p + 11, NULL, 10);
    return 0;
}

int sbx_cg_cpu_us(struct sbx_cg *cg, uint64_t *us)
{
    if(cg->mode == SBX_CGROUP_V1 && cg->cpu_usage >= 0) {
        uint64_t ns;
        int rc = sbx_read_u64_fd(cg->cpu_usage, &ns);
        if(rc == 0)
            *us = ns / 1000;
        return rc;
    }
    if(cg->mode == SBX_CGROUP_V2 && cg->run_cpu_stat >= 0)
        return v2_cpu_us(cg, us);
    return -ENOTSUP;
}

/* Whether pid runs as root (real uid 0): the zygote's helpers do; a run's processes never can. */
static bool runs_as_root(long pid)
{
    char path[48], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    if(sbx_read_small(AT_FDCWD, path, buf, sizeof buf))
        return false;
    const char *uid = strstr(buf, "\nUid:");
    return uid && strtol(uid + 5, NULL, 10) == 0;
}

/* v1 has no cgroup.kill: SIGKILL every member but the spawner (or the zygote) until none is left. The pid
 * namespace already took them all with its init, so this normally finds nothing; it is the backstop. In a
 * zygote's cgroup the run's init may still be on its way out (it reports before it exits, once it has
 * killed and reaped the rest): root tasks there are the zygote's, and are left alone. */
static void v1_kill_all(struct sbx_cg *cg)
{
    int dir = cg->pids_dir >= 0 ? cg->pids_dir : cg->mem_dir >= 0 ? cg->mem_dir : cg->cpu_dir;
    if(dir < 0)
        return;
    for(int round = 0; round < 100; round++) {
        char buf[4096];
        bool others = false;
        if(sbx_read_small(dir, "cgroup.procs", buf, sizeof buf) || !buf[0])
            return;
        for(char *p = buf; *p;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if(end == p)
                break;
            if(pid > 0 && pid != cg->keep_pid && !(cg->zygote && runs_as_root(pid))) {
                kill((pid_t)pid, SIGKILL);
                others = true;
            }
            p = end + (*end == '\n');
        }
        if(!others)
            return;
        usleep(1000);
    }
}

int sbx_cg_run_end(struct sbx_cg *cg, struct sbx_cg_usage *u)
{
    memset(u, 0, sizeof *u);
    if(cg->mode == SBX_CGROUP_V1) {
        v1_kill_all(cg);
        u->have_cpu = sbx_cg_cpu_us(cg, &u->cpu_us) == 0;
        if(cg->mem_dir >= 0) {
            char buf[32];
            uint64_t oom = 0;
            if(sbx_read_small(cg->mem_dir, "memory.max_usage_in_bytes", buf, sizeof buf) == 0) {
                uint64_t peak = strtoull(buf, NULL, 10);
                u->memory_peak_kb = (peak > cg->mem_base ? peak - cg->mem_base : 0) / 1024;
                u->have_memory = true;
            }
            sbx_read_key_u64(cg->mem_dir, "memory.oom_control", "oom_kill", &oom);
            u->oom_kills = oom - cg->oom_before;
        }
        return 0;
    }
    if(cg->mode != SBX_CGROUP_V2 || cg->run_dir < 0)
        return 0;
    sbx_write_str_at(cg->run_dir, "cgroup.kill", "1");
    u->have_cpu = v2_cpu_us(cg, &u->cpu_us) == 0;
    if(cg->v2_memory) {
        char buf[32];
        if(sbx_read_small(cg->run_dir, "memory.peak", buf, sizeof buf) == 0) {
            u->memory_peak_kb = strtoull(buf, NULL, 10) / 1024;
            u->have_memory = true;
        }
        sbx_read_key_u64(cg->run_dir, "memory.events", "oom_kill", &u->oom_kills);
    }
    sbx_close(&cg->run_cpu_stat);
    sbx_close(&cg->run_dir);
    if(v2_rmdir_run(cg, cg->run_name))
        memcpy(cg->stale_name, cg->run_name, sizeof cg->stale_name);
    return 0;
}
