/* The x32 ABI shares AUDIT_ARCH_X86_64 with x86_64: a deny-list that forgets bit 30 is bypassed. */
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    syscall(SYS_getpid | 0x40000000);
    return 0;
}
