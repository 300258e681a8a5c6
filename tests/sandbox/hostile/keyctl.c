/* Keyrings are not namespaced: a channel between boxes. */
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
    syscall(SYS_add_key, "user", "sbx", "secret", 6, -3 /* KEY_SPEC_SESSION_KEYRING */);
    return 0;
}
