/* Trace something: ourselves or the run's init. */
#include <sys/ptrace.h>
int main(void)
{
    ptrace(PTRACE_ATTACH, 1, 0, 0);
    return 0;
}
