/* fdpass.c - descriptors over Unix sockets (SCM_RIGHTS): requests to the spawner and to a run's init.
 * Plain syscalls only: both ends may be children cloned from a multi-threaded supervisor. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int sbx_send_fds(int sock, const void *data, size_t len, const int *fds, size_t nfds)
{
    union {
        char space[CMSG_SPACE(SBX_FDS_MAX * sizeof(int))];
        struct cmsghdr align;
    } control;
    if(nfds > SBX_FDS_MAX)
        return -EINVAL;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if(nfds) {
        msg.msg_control = control.space;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    ssize_t n;
    while((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n < 0 ? -errno : (int)n;
}

int sbx_recv_fds(int sock, void *data, size_t len, int *fds, int *nfds)
{
    union {
        char space[CMSG_SPACE(SBX_FDS_MAX * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = data, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                         .msg_controllen = sizeof control.space};
    ssize_t n;
    *nfds = 0;
    while((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if(n <= 0)
        return n == 0 ? -ECONNRESET : -errno;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        *nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds, CMSG_DATA(c), (size_t)*nfds * sizeof(int));
    }
    return (int)n;
}
