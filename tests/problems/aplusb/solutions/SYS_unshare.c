#define _GNU_SOURCE
#include <sched.h>
int main(void)
{
    unshare(0); /* forbidden in the sandbox: the kernel kills the process (SIGSYS) */
    return 0;
}
