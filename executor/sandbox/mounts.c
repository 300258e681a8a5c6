/* mounts.c - the box's file systems, built and reached only through descriptors.
 *
 * The read-only tree of a box (tmpfs root, read-only binds, minimal /dev and /etc) is assembled here as
 * detached mounts (fsmount/open_tree) and populated with *at() calls before any untrusted code exists; ns.c
 * attaches it inside the box's mount namespace. Each run gets two fresh tmpfs (/box, /tmp), also detached:
 * the supervisor writes the input files into them through the mount's fd, the run's init moves them into
 * place, and after the run the supervisor reads outputs through the same fd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS). No path the submission could have touched is ever resolved by name from the host
 * side, and the tmpfs dies with the last fd: nothing to clean up, nothing to chown. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int sbx_tmpfs_new(uint64_t size_kb, uint64_t inodes, unsigned mode, uid_t uid, gid_t gid, int *out_fd)
{
    char buf[32];
    int rc = 0, mnt;
    *out_fd = -1;
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if(fs < 0)
        return -errno;
    snprintf(buf, sizeof buf, "%" PRIu64 "k", size_kb);
    if(fsconfig(fs, FSCONFIG_SET_STRING, "size", buf, 0) < 0)
        goto fail;
    snprintf(buf, sizeof buf, "%" PRIu64, inodes);
    if(fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", buf, 0) < 0)
        goto fail;
    snprintf(buf, sizeof buf, "%o", mode);
    if(fsconfig(fs, FSCONFIG_SET_STRING, "mode", buf, 0) < 0)
        goto fail;
    snprintf(buf, sizeof buf, "%u", (unsigned)uid);
    if(fsconfig(fs, FSCONFIG_SET_STRING, "uid", buf, 0) < 0)
        goto fail;
    snprintf(buf, sizeof buf, "%u", (unsigned)gid);
    if(fsconfig(fs, FSCONFIG_SET_STRING, "gid", buf, 0) < 0)
        goto fail;
    if(fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        goto fail;
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if(mnt < 0)
        goto fail;
    *out_fd = mnt;
    goto out;
fail:
    rc = -errno;
out:
    close(fs);
    return rc;
}

int sbx_check_name(const char *name)
{
    if(!name || !*name || name[0] == '/' || strlen(name) >= SBX_PATH_MAX)
        return -EINVAL;
    for(const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if(len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return -EINVAL;
        p += len + (slash != NULL);
        if(slash && !*p)
            return -EINVAL;
    }
    return 0;
}

/* Open (creating as needed, owned by uid:gid) the directory holding name's last component. The tree is a
 * fresh tmpfs nothing untrusted has run in yet, but O_NOFOLLOW keeps this safe even if that changes. */
static int open_parent(int root, const char *name, uid_t uid, gid_t gid, const char **base)
{
    char comp[SBX_PATH_MAX];
    int dir = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if(dir < 0)
        return -errno;
    const char *p = name;
    for(const char *slash; (slash = strchr(p, '/')); p = slash + 1) {
        size_t len = (size_t)(slash - p);
        memcpy(comp, p, len);
        comp[len] = '\0';
        if(mkdirat(dir, comp, 0755) == 0) {
            if(fchownat(dir, comp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                goto fail;
        } else if(errno != EEXIST) {
            goto fail;
        }
        int next = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if(next < 0)
            goto fail;
        close(dir);
        dir = next;
    }
    *base = p;
    return dir;
fail:;
    int rc = -errno;
    close(dir);
    return rc;
}

static int copy_in(int fd, const struct sbx_file_in *f)
{
    char buf[65536];
    if(f->fd < 0) {
        const char *p = f->data;
        for(size_t off = 0; off < f->len;) {
            ssize_t n = write(fd, p + off, f->len - off);
            if(n < 0) {
                if(errno == EINTR)
                    continue;
                return -errno;
            }
            off += (size_t)n;
        }
        return 0;
    }
    for(off_t off = 0;;) {
        ssize_t n = pread(f->fd, buf, sizeof buf, off);
        if(n < 0) {
            if(errno == EINTR)
                continue;
            return -errno;
        }
        if(n == 0)
            return 0;
        for(ssize_t w = 0; w < n;) {
            ssize_t m = write(fd, buf + w, (size_t)(n - w));
            if(m < 0) {
                if(errno == EINTR)
                    continue;
                return -errno;
            }
            w += m;
        }
        off += n;
    }
}

int sbx_files_write(int root, const struct sbx_file_in *files, size_t n, uid_t uid, gid_t gid, char *err,
                    size_t errlen)
{
    int rc = 0;
    for(size_t i = 0; i < n; i++) {
        const struct sbx_file_in *f = &files[i];
        const char *base;
        int dir = -1, fd = -1;
        rc = sbx_check_name(f->name);
        if(rc) {
            sbx_errf(err, errlen, "file in: bad name '%s'", f->name ? f->name : "(null)");
            goto out;
        }
        dir = rc = open_parent(root, f->name, uid, gid, &base);
        if(rc < 0)
            goto fail;
        fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if(fd < 0) {
            rc = -errno;
            goto fail;
        }
        rc = copy_in(fd, f);
        if(!rc && (fchown(fd, uid, gid) < 0 || fchmod(fd, f->mode ? f->mode & 07777 & ~06000u : 0644) < 0))
            rc = -errno;
    fail:
        if(dir >= 0)
            close(dir);
        if(fd >= 0)
            close(fd);
        if(rc) {
            /* ENOSPC here means the inputs alone overflow the box tmpfs: a configuration problem. */
            sbx_errf(err, errlen, "file in '%s': %s", f->name, strerror(-rc));
            goto out;
        }
    }
out:
    return rc;
}

static int collect_one(int root, const struct sbx_file_out *f, struct sbx_collected *c)
{
    struct open_how how = {
        .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    struct stat st;
    int rc = sbx_check_name(f->name);
    if(rc)
        return rc;
    int fd = (int)syscall(SYS_openat2, root, f->name, &how, sizeof how);
    if(fd < 0)
        return -errno;
    if(fstat(fd, &st) < 0) {
        rc = -errno;
        goto out;
    }
    if(!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        goto out;
    }
    uint64_t max = f->max_bytes ? f->max_bytes : 16u << 20;
    size_t want = (uint64_t)st.st_size < max ? (size_t)st.st_size : (size_t)max;
    c->data = malloc(want + 1);
    if(!c->data) {
        rc = -ENOMEM;
        goto out;
    }
    size_t len = 0;
    while(len < want) {
        ssize_t n = read(fd, c->data + len, want - len);
        if(n < 0 && errno == EINTR)
            continue;
        if(n < 0) {
            rc = -errno;
            goto out;
        }
        if(n == 0)
            break;
        len += (size_t)n;
    }
    c->data[len] = '\0';
    c->len = len;
    c->truncated = (uint64_t)st.st_size > max;
out:
    if(rc) {
        free(c->data);
        c->data = NULL;
    }
    close(fd);
    return rc;
}

void sbx_files_collect(int root, const struct sbx_file_out *files, size_t n, struct sbx_collected *out)
{
    for(size_t i = 0; i < n; i++)
        out[i].error = collect_one(root, &files[i], &out[i]);
}

/* ---- the read-only tree of a box ---- */

static int mkdir_p_at(int root, const char *rel, mode_t mode)
{
    char tmp[SBX_PATH_MAX];
    if(strlen(rel) >= sizeof tmp)
        return -ENAMETOOLONG;
    strcpy(tmp, rel);
    for(char *p = tmp;; p++) {
        if(*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if(tmp[0] && mkdirat(root, tmp, mode) < 0 && errno != EEXIST)
                return -errno;
            if(!c)
                return 0;
            *p = c;
        }
    }
}

static int parent_of(int root, const char *rel)
{
    char tmp[SBX_PATH_MAX];
    strcpy(tmp, rel);
    char *slash = strrchr(tmp, '/');
    if(!slash)
        return 0;
    *slash = '\0';
    return mkdir_p_at(root, tmp, 0755);
}

static int write_file_at(int dir, const char *name, const char *content, mode_t mode)
{
    int rc = 0;
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if(fd < 0)
        return -errno;
    size_t len = strlen(content);
    if(write(fd, content, len) != (ssize_t)len)
        rc = errno ? -errno : -EIO;
    close(fd);
    return rc;
}

static int set_readonly(int mnt, uint64_t extra)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | extra};
    if(mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return -errno;
    return 0;
}

int sbx_bind_open(const char *source, int *out_fd)
{
    int fd = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if(fd < 0)
        return -errno;
    int rc = set_readonly(fd, MOUNT_ATTR_NODEV);
    if(rc) {
        close(fd);
        return rc;
    }
    *out_fd = fd;
    return 0;
}

static int add_mount(struct sbx_tree *t, int fd, const char *target)
{
    struct sbx_tree_mount *m = realloc(t->mounts, (t->nmounts + 1) * sizeof *m);
    if(!m)
        return -ENOMEM;
    t->mounts = m;
    m[t->nmounts].fd = fd;
    snprintf(m[t->nmounts].target, sizeof m->target, "%s", target);
    t->nmounts++;
    return 0;
}

static int add_bind(int root, struct sbx_tree *t, const struct sbx_bind *b, char *err, size_t errlen)
{
    const char *target = b->target ? b->target : b->source;
    struct stat st;
    int rc = 0, fd = -1;
    if(b->source[0] != '/' || target[0] != '/' || !target[1]) {
        sbx_errf(err, errlen, "bind %s -> %s: paths must be absolute", b->source, target);
        return -EINVAL;
    }
    const char *rel = target + 1;
    if(lstat(b->source, &st) < 0) {
        if(errno == ENOENT && b->optional)
            return 0;
        rc = -errno;
        goto out;
    }
    rc = parent_of(root, rel);
    if(rc)
        goto out;
    if(S_ISLNK(st.st_mode)) {
        /* Merged /usr: /bin -> usr/bin. The same link inside the box resolves within the box. */
        char link[SBX_PATH_MAX];
        ssize_t n = readlink(b->source, link, sizeof link - 1);
        if(n < 0) {
            rc = -errno;
            goto out;
        }
        link[n] = '\0';
        if(symlinkat(link, root, rel) < 0 && errno != EEXIST)
            rc = -errno;
        goto out;
    }
    if(S_ISDIR(st.st_mode)) {
        rc = mkdir_p_at(root, rel, 0755);
    } else {
        rc = write_file_at(root, rel, "", 0644);
    }
    if(rc)
        goto out;
    rc = sbx_bind_open(b->source, &fd);
    if(rc)
        goto out;
    rc = add_mount(t, fd, rel);
    if(rc == 0)
        fd = -1;
out:
    if(fd >= 0)
        close(fd);
    if(rc)
        sbx_errf(err, errlen, "bind %s -> %s: %s", b->source, target, strerror(-rc));
    return rc;
}

/* A /dev with the harmless character devices only; /dev/shm points at the per-run /tmp. */
static int build_dev(struct sbx_tree *t, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        unsigned minor;
    } nodes[] = {{"null", 3}, {"zero", 5}, {"full", 7}, {"random", 8}, {"urandom", 9}};
    static const struct {
        const char *name, *target;
    } links[] = {{"fd", "/proc/self/fd"},        {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
                 {"stderr", "/proc/self/fd/2"}, {"shm", "/tmp"}};
    int dev, rc;
    rc = sbx_tmpfs_new(64, 64, 0755, 0, 0, &dev);
    if(rc)
        goto out;
    for(size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        if(mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(1, nodes[i].minor)) < 0 ||
           fchmodat(dev, nodes[i].name, 0666, 0) < 0) {
            rc = -errno;
            goto out;
        }
    }
    for(size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if(symlinkat(links[i].target, dev, links[i].name) < 0) {
            rc = -errno;
            goto out;
        }
    }
    /* The devices need the mount without MOUNT_ATTR_NODEV, so it is read-only and noexec instead. */
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC,
                              .attr_clr = MOUNT_ATTR_NODEV};
    if(mount_setattr(dev, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
        rc = -errno;
        goto out;
    }
    rc = add_mount(t, dev, "dev");
    if(rc == 0)
        dev = -1;
out:
    if(dev >= 0)
        close(dev);
    if(rc)
        sbx_errf(err, errlen, "building /dev: %s", strerror(-rc));
    return rc;
}

int sbx_tree_build(const struct sbx_ctx *ctx, uid_t uid, gid_t gid, struct sbx_tree *t, char *err,
                   size_t errlen)
{
    static const char *const dirs[] = {"box", "tmp", "proc", "dev", "etc", "mnt"}; /* mnt: per-run binds */
    char text[256];
    int rc;
    memset(t, 0, sizeof *t);
    rc = sbx_tmpfs_new(1024, 1024, 0755, 0, 0, &t->root);
    if(rc) {
        sbx_errf(err, errlen, "tmpfs for the box root: %s", strerror(-rc));
        goto out;
    }
    for(size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if(mkdirat(t->root, dirs[i], 0755) < 0) {
            rc = -errno;
            sbx_errf(err, errlen, "mkdir /%s in the box root: %s", dirs[i], strerror(-rc));
            goto out;
        }
    }
    /* Just enough identity for getpwuid() and friends; no host account data. */
    snprintf(text, sizeof text, "root:x:0:0:root:/:/bin/false\nsandbox:x:%u:%u:sandbox:/box:/bin/false\n",
             (unsigned)uid, (unsigned)gid);
    rc = write_file_at(t->root, "etc/passwd", text, 0644);
    if(!rc) {
        snprintf(text, sizeof text, "root:x:0:\nsandbox:x:%u:\n", (unsigned)gid);
        rc = write_file_at(t->root, "etc/group", text, 0644);
    }
    if(!rc)
        rc = write_file_at(t->root, "etc/hosts", "127.0.0.1 localhost\n", 0644);
    if(rc) {
        sbx_errf(err, errlen, "writing /etc stubs: %s", strerror(-rc));
        goto out;
    }
    for(size_t i = 0; i < ctx->cfg.nbinds; i++) {
        rc = add_bind(t->root, t, &ctx->cfg.binds[i], err, errlen);
        if(rc)
            goto out;
    }
    rc = build_dev(t, err, errlen);
    if(rc)
        goto out;
    rc = set_readonly(t->root, MOUNT_ATTR_NODEV);
    if(rc)
        sbx_errf(err, errlen, "box root read-only: %s", strerror(-rc));
out:
    if(rc)
        sbx_tree_free(t);
    return rc;
}

void sbx_tree_free(struct sbx_tree *t)
{
    for(size_t i = 0; i < t->nmounts; i++)
        close(t->mounts[i].fd);
    free(t->mounts);
    if(t->root >= 0)
        close(t->root);
    memset(t, 0, sizeof *t);
    t->root = -1;
}
