/* probe.c - find out exactly which mechanisms this host lets us use, and say so in plain words.
 *
 * Each mechanism is tried, not guessed from versions: namespaces by unshare() in a throw-away child,
 * seccomp by asking for SECCOMP_RET_KILL_PROCESS, the mount API by fsopen(), cgroups by creating (and
 * removing) a test cgroup below our own. A container without privileges gets a precise "no" per line. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
    uint32_t bit;
    const char *name;
} cap_names[] = {
    {SBX_CAP_ROOT, "root"},           {SBX_CAP_SETUID, "setuid"},         {SBX_CAP_NS_MNT, "ns-mnt"},
    {SBX_CAP_NS_PID, "ns-pid"},       {SBX_CAP_NS_NET, "ns-net"},         {SBX_CAP_NS_IPC, "ns-ipc"},
    {SBX_CAP_NS_UTS, "ns-uts"},       {SBX_CAP_NS_CGROUP, "ns-cgroup"},   {SBX_CAP_NS_USER, "ns-user"},
    {SBX_CAP_SECCOMP, "seccomp"},     {SBX_CAP_MOUNT_API, "mount-api"},   {SBX_CAP_PIDFD, "pidfd"},
    {SBX_CAP_CG_MEMORY, "cg-memory"}, {SBX_CAP_CG_PIDS, "cg-pids"},       {SBX_CAP_CG_CPU, "cg-cpu"},
    {SBX_CAP_CG_NOSWAP, "cg-noswap"}, {SBX_CAP_CG_PEAK, "cg-memory-peak"},
};

const char *sbx_cap_name(uint32_t bit)
{
    for(size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
        if(cap_names[i].bit == bit)
            return cap_names[i].name;
    return "?";
}

int sbx_caps_check(const struct sbx_caps *caps, uint32_t required, char *missing, size_t missing_len)
{
    uint32_t lack = required & ~caps->have;
    if(missing && missing_len)
        missing[0] = '\0';
    if(!lack)
        return 0;
    for(size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++) {
        if(!(lack & cap_names[i].bit) || !missing)
            continue;
        size_t used = strlen(missing);
        snprintf(missing + used, missing_len - used, "%s%s", used ? ", " : "", cap_names[i].name);
    }
    return -EPERM;
}

static void say(struct sbx_caps *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct sbx_caps *c, const char *fmt, ...)
{
    size_t used = strlen(c->desc);
    if(used + 1 >= sizeof c->desc)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->desc + used, sizeof c->desc - used, fmt, ap);
    va_end(ap);
}

static void have(struct sbx_caps *c, uint32_t bit, bool yes)
{
    if(yes)
        c->have |= bit;
}

/* Effective capability set of this process (first 64 caps). */
static uint64_t effective_caps(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    if(syscall(SYS_capget, &h, d) < 0)
        return 0;
    return (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32;
}

/* The initial user namespace maps the whole 32-bit range onto itself. */
static bool in_initial_userns(void)
{
    char buf[128];
    unsigned long a, b, n;
    if(sbx_read_small(AT_FDCWD, "/proc/self/uid_map", buf, sizeof buf))
        return false;
    return sscanf(buf, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295ul;
}

/* Try each namespace kind in a child; the child reports a bit mask of the ones unshare() allowed. */
static uint32_t probe_namespaces(void)
{
    static const struct {
        int flag;
        uint32_t bit;
    } kinds[] = {{CLONE_NEWNS, SBX_CAP_NS_MNT},   {CLONE_NEWPID, SBX_CAP_NS_PID},
                 {CLONE_NEWNET, SBX_CAP_NS_NET},  {CLONE_NEWIPC, SBX_CAP_NS_IPC},
                 {CLONE_NEWUTS, SBX_CAP_NS_UTS},  {CLONE_NEWCGROUP, SBX_CAP_NS_CGROUP},
                 {CLONE_NEWUSER, SBX_CAP_NS_USER}};
    int p[2];
    uint32_t got = 0;
    if(pipe2(p, O_CLOEXEC) < 0)
        return 0;
    struct clone_args ca = {.exit_signal = SIGCHLD};
    pid_t pid = (pid_t)sbx_clone3(&ca, sizeof ca);
    if(pid == 0) {
        uint32_t mask = 0;
        /* CLONE_NEWUSER last: after it, the other kinds would be tried as "root" of the new user ns. */
        for(size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if(unshare(kinds[i].flag) == 0)
                mask |= kinds[i].bit;
        if(write(p[1], &mask, sizeof mask) != sizeof mask)
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    if(pid > 0) {
        if(read(p[0], &got, sizeof got) != sizeof got)
            got = 0;
        while(waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    close(p[0]);
    return got;
}

/* From /proc/self/mountinfo: the mount point of the v1 hierarchy carrying controller (NULL: the cgroup2
 * mount). From /proc/self/cgroup: our path in it. Writes mount+path to out, or "" when absent. */
static void find_cgroup(const char *controller, char *out, size_t len)
{
    char line[1024], mnt[SBX_PATH_MAX] = "", self[SBX_PATH_MAX] = "";
    out[0] = '\0';
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if(!f)
        return;
    while(fgets(line, sizeof line, f)) {
        char mp[SBX_PATH_MAX], fstype[64], opts[512];
        const char *sep = strstr(line, " - ");
        if(!sep || sscanf(line, "%*s %*s %*s %*s %511s", mp) != 1 ||
           sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
            continue;
        if(controller ? strcmp(fstype, "cgroup") : strcmp(fstype, "cgroup2"))
            continue;
        if(controller) {
            bool found = false;
            for(char *tok = strtok(opts, ","); tok; tok = strtok(NULL, ","))
                found |= strcmp(tok, controller) == 0;
            if(!found)
                continue;
        }
        snprintf(mnt, sizeof mnt, "%s", mp);
        break;
    }
    fclose(f);
    if(!mnt[0])
        return;
    f = fopen("/proc/self/cgroup", "re");
    if(!f)
        return;
    while(fgets(line, sizeof line, f)) {
        /* "4:memory:/a/b" (v1) or "0::/a/b" (v2) */
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if(!c2)
            continue;
        *c2 = '\0';
        line[strcspn(line, "\n")] = '\0';
        char *list = c1 + 1, *path = c2 + 1;
        path[strcspn(path, "\n")] = '\0';
        bool match = false;
        if(!controller)
            match = list[0] == '\0';
        else
            for(char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
                match |= strcmp(tok, controller) == 0;
        if(match) {
            snprintf(self, sizeof self, "%s", strcmp(path, "/") ? path : "");
            break;
        }
    }
    fclose(f);
    snprintf(out, len, "%s%s", mnt, self);
}

/* Can we create a cgroup below dir? Tries it; on success leaves the test cgroup's path in test. */
static int try_mkdir_cgroup(const char *dir, char *test, size_t len)
{
    snprintf(test, len, "%s/sbx-probe-%d", dir, (int)getpid());
    if(mkdir(test, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static bool file_exists(const char *dir, const char *file)
{
    char p[SBX_PATH_MAX + 128];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return access(p, F_OK) == 0;
}

static bool host_has_swap(void)
{
    char buf[512];
    if(sbx_read_small(AT_FDCWD, "/proc/swaps", buf, sizeof buf))
        return true; /* unknown: assume the worst */
    char *nl = strchr(buf, '\n');
    return nl && nl[1] != '\0';
}

/* One v1 controller: found, and can we create a cgroup below ours? On success the caller inspects the
 * test cgroup (path in test) and removes it; on failure dir is cleared and the reason said. */
static bool probe_v1_controller(struct sbx_caps *c, const char *controller, char *dir, size_t len, char *test,
                                size_t test_len)
{
    int rc = 0;
    find_cgroup(controller, dir, len);
    if(dir[0] && (rc = try_mkdir_cgroup(dir, test, test_len)) == 0)
        return true;
    say(c, "cgroup v1 %s: no (%s)\n", controller, dir[0] ? strerror(-rc) : "no hierarchy");
    dir[0] = '\0';
    return false;
}

static void probe_cgroup_v1(struct sbx_caps *c)
{
    char test[SBX_PATH_MAX + 64];
    if(probe_v1_controller(c, "memory", c->cg_memory, sizeof c->cg_memory, test, sizeof test)) {
        bool memsw = file_exists(test, "memory.memsw.limit_in_bytes");
        have(c, SBX_CAP_CG_MEMORY, true);
        have(c, SBX_CAP_CG_PEAK, file_exists(test, "memory.max_usage_in_bytes"));
        have(c, SBX_CAP_CG_NOSWAP, memsw || !host_has_swap());
        say(c, "cgroup v1 memory: yes (%s; peak: max_usage_in_bytes; swap: %s)\n", c->cg_memory,
            memsw ? "memsw limit = memory limit" : host_has_swap() ? "NOT limited, no memsw" : "host has none");
        rmdir(test);
    }
    if(probe_v1_controller(c, "pids", c->cg_pids, sizeof c->cg_pids, test, sizeof test)) {
        have(c, SBX_CAP_CG_PIDS, true);
        say(c, "cgroup v1 pids: yes (%s)\n", c->cg_pids);
        rmdir(test);
    }
    if(probe_v1_controller(c, "cpuacct", c->cg_cpuacct, sizeof c->cg_cpuacct, test, sizeof test)) {
        have(c, SBX_CAP_CG_CPU, true);
        say(c, "cgroup v1 cpuacct: yes (%s)\n", c->cg_cpuacct);
        rmdir(test);
    }
    if(c->have & (SBX_CAP_CG_MEMORY | SBX_CAP_CG_PIDS | SBX_CAP_CG_CPU))
        c->cgroup = SBX_CGROUP_V1;
}

/* v2 is used when our own cgroup in the unified tree offers memory and pids to its children. */
static bool probe_cgroup_v2(struct sbx_caps *c)
{
    char ctl[256] = "", test[SBX_PATH_MAX + 64];
    int rc;
    if(!c->cg_unified[0])
        return false;
    char parent[SBX_PATH_MAX];
    snprintf(parent, sizeof parent, "%s", c->cg_unified);
    sbx_read_small(AT_FDCWD, strcat(parent, "/cgroup.controllers"), ctl, sizeof ctl);
    bool mem = strstr(ctl, "memory") != NULL, pids = strstr(ctl, "pids") != NULL;
    say(c, "cgroup v2: %s (controllers offered: %s)\n", c->cg_unified, ctl[0] ? strtok(ctl, "\n") : "none");
    if(!mem && !pids)
        return false;
    if((rc = try_mkdir_cgroup(c->cg_unified, test, sizeof test)) != 0) {
        say(c, "cgroup v2: cannot create cgroups below %s (%s)\n", c->cg_unified, strerror(-rc));
        return false;
    }
    rmdir(test);
    c->cgroup = SBX_CGROUP_V2;
    have(c, SBX_CAP_CG_MEMORY, mem);
    have(c, SBX_CAP_CG_PIDS, pids);
    have(c, SBX_CAP_CG_CPU, true); /* cpu.stat usage_usec needs no controller */
    have(c, SBX_CAP_CG_NOSWAP, mem);
    /* memory.peak appeared in 5.19; before it only rusage is left. */
    char release[64] = "";
    int major = 0, minor = 0;
    sbx_read_small(AT_FDCWD, "/proc/sys/kernel/osrelease", release, sizeof release);
    sscanf(release, "%d.%d", &major, &minor);
    have(c, SBX_CAP_CG_PEAK, mem && (major > 5 || (major == 5 && minor >= 19)));
    say(c, "cgroup v2 memory: %s, pids: %s, cpu: yes (cpu.stat), peak: %s\n", mem ? "yes" : "no",
        pids ? "yes" : "no", (c->have & SBX_CAP_CG_PEAK) ? "memory.peak" : "no (kernel < 5.19: rusage)");
    return true;
}

int sbx_probe(struct sbx_caps *out)
{
    struct sbx_caps *c = out;
    memset(c, 0, sizeof *c);
    if(access("/proc/self/status", R_OK) < 0)
        return -errno;

    uint64_t eff = effective_caps();
    bool admin = eff & (1ull << CAP_SYS_ADMIN), init_ns = in_initial_userns();
    have(c, SBX_CAP_ROOT, admin && init_ns);
    say(c, "privilege: %s\n",
        admin && init_ns ? "CAP_SYS_ADMIN in the initial user namespace"
        : admin          ? "CAP_SYS_ADMIN only inside a user namespace (rootless container): cannot run boxes"
                         : "no CAP_SYS_ADMIN: cannot build boxes");
    bool setid = (eff & (1ull << CAP_SETUID)) && (eff & (1ull << CAP_SETGID));
    have(c, SBX_CAP_SETUID, setid);
    say(c, "uid switch: %s\n", setid ? "yes (CAP_SETUID, CAP_SETGID)" : "no: boxes cannot get their own uid");

    uint32_t ns = probe_namespaces();
    c->have |= ns;
    say(c, "namespaces: mnt %s, pid %s, net %s, ipc %s, uts %s, cgroup %s, user %s\n",
        ns & SBX_CAP_NS_MNT ? "yes" : "NO", ns & SBX_CAP_NS_PID ? "yes" : "NO", ns & SBX_CAP_NS_NET ? "yes" : "NO",
        ns & SBX_CAP_NS_IPC ? "yes" : "NO", ns & SBX_CAP_NS_UTS ? "yes" : "NO",
        ns & SBX_CAP_NS_CGROUP ? "yes" : "no", ns & SBX_CAP_NS_USER ? "yes (not used by boxes)" : "no");

    unsigned action = SECCOMP_RET_KILL_PROCESS;
    bool seccomp = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
    have(c, SBX_CAP_SECCOMP, seccomp);
    say(c, "seccomp: %s\n", seccomp ? "yes (filter mode, KILL_PROCESS)" : "NO");

    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    have(c, SBX_CAP_MOUNT_API, fs >= 0);
    say(c, "mount API (fsopen/fsmount/move_mount): %s\n", fs >= 0 ? "yes" : strerror(errno));
    if(fs >= 0)
        close(fs);

    int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    have(c, SBX_CAP_PIDFD, pfd >= 0);
    say(c, "pidfd: %s\n", pfd >= 0 ? "yes" : strerror(errno));
    if(pfd >= 0)
        close(pfd);

    find_cgroup(NULL, c->cg_unified, sizeof c->cg_unified);
    if(!probe_cgroup_v2(c))
        probe_cgroup_v1(c);
    if(c->cgroup == SBX_CGROUP_NONE)
        say(c, "cgroups: none usable: memory and CPU of child processes are NOT accounted; rlimits only\n");
    else
        say(c, "cgroups: using v%d\n", c->cgroup == SBX_CGROUP_V2 ? 2 : 1);
    return 0;
}
