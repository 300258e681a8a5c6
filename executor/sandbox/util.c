/* util.c - small file and process helpers used across the sandbox module. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t sbx_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int sbx_write_str_at(int dirfd, const char *file, const char *s)
{
    int rc = 0;
    int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
    if(fd < 0)
        return -errno;
    size_t len = strlen(s);
    ssize_t n = write(fd, s, len);
    if(n < 0)
        rc = -errno;
    else if((size_t)n != len)
        rc = -EIO;
    close(fd);
    return rc;
}

int sbx_write_u64_fd(int fd, uint64_t v)
{
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%" PRIu64, v);
    ssize_t n = pwrite(fd, buf, (size_t)len, 0);
    if(n < 0)
        return -errno;
    return n == len ? 0 : -EIO;
}

int sbx_read_u64_fd(int fd, uint64_t *v)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if(n < 0)
        return -errno;
    buf[n] = '\0';
    char *end;
    errno = 0;
    unsigned long long x = strtoull(buf, &end, 10);
    if(end == buf || errno)
        return -EINVAL;
    *v = x;
    return 0;
}

int sbx_read_small(int dirfd, const char *file, char *buf, size_t len)
{
    int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
    if(fd < 0)
        return -errno;
    size_t off = 0;
    int rc = 0;
    while(off + 1 < len) {
        ssize_t n = read(fd, buf + off, len - 1 - off);
        if(n < 0) {
            if(errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if(n == 0)
            break;
        off += (size_t)n;
    }
    buf[off] = '\0';
    close(fd);
    return rc;
}

int sbx_read_key_u64(int dirfd, const char *file, const char *key, uint64_t *v)
{
    char buf[4096];
    int rc = sbx_read_small(dirfd, file, buf, sizeof buf);
    if(rc)
        return rc;
    *v = 0;
    size_t klen = strlen(key);
    for(char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if(strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            *v = strtoull(line + klen + 1, NULL, 10);
            break;
        }
    }
    return 0;
}

int sbx_mkdir_p(const char *path, mode_t mode)
{
    char tmp[SBX_PATH_MAX];
    if(strlen(path) >= sizeof tmp)
        return -ENAMETOOLONG;
    strcpy(tmp, path);
    for(char *p = tmp + 1; *p; p++) {
        if(*p != '/')
            continue;
        *p = '\0';
        if(mkdir(tmp, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if(mkdir(tmp, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

void sbx_close(int *fd)
{
    if(*fd >= 0)
        close(*fd);
    *fd = -1;
}

void sbx_errf(char *err, size_t len, const char *fmt, ...)
{
    if(!err || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

long sbx_clone3(void *args, size_t size)
{
    return syscall(SYS_clone3, args, size);
}

int sbx_pidfd_send_signal(int pidfd, int sig)
{
    if(syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        return -errno;
    return 0;
}

void sbx_close_all_except(const int *keep, size_t n)
{
    /* Walk upwards closing the gaps between kept descriptors; n is tiny, so a selection pass per gap. */
    unsigned lo = 0;
    for(;;) {
        long next = -1;
        for(size_t i = 0; i < n; i++)
            if(keep[i] >= (int)lo && (next < 0 || keep[i] < next))
                next = keep[i];
        if(next < 0) {
            syscall(SYS_close_range, lo, ~0u, 0u);
            return;
        }
        if((unsigned)next > lo)
            syscall(SYS_close_range, lo, (unsigned)next - 1, 0u);
        lo = (unsigned)next + 1;
    }
}

int sbx_attach_run_mounts(int boxfs, int tmpfs, const char **step)
{
    *step = "attach /box";
    if(move_mount(boxfs, "", AT_FDCWD, "/box", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return -errno;
    *step = "attach /tmp";
    if(move_mount(tmpfs, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return -errno;
    *step = "mount /proc";
    if(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible,subset=pid") < 0)
        return -errno;
    close(boxfs);
    close(tmpfs);
    return 0;
}
