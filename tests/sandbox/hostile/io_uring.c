/* io_uring bypasses syscall filters once set up: it must not be set up. */
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    char params[120];
    memset(params, 0, sizeof params);
    syscall(425 /* io_uring_setup */, 8, params);
    return 0;
}
