/* A new user namespace: the first step of many escapes (CVE-2022-0492...). */
#define _GNU_SOURCE
#include <sched.h>
int main(void)
{
    unshare(CLONE_NEWUSER | CLONE_NEWNS);
    return 0;
}
