/* Mount something. */
#include <sys/mount.h>
int main(void)
{
    mount("none", "/tmp", "tmpfs", 0, 0);
    return 0;
}
