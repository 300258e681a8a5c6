/* eBPF: kernel attack surface. */
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    char attr[128];
    memset(attr, 0, sizeof attr);
    syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr);
    return 0;
}
