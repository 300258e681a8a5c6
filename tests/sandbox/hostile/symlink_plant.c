/* Plant links for the host to follow when it collects outputs: out.txt -> a host secret (argv[2]),
 * dir -> /, and a FIFO that would hang a careless reader. The runner collects all three. */
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    if(argc < 3)
        return 2;
    if(symlink(argv[2], "/box/out.txt") || symlink("/", "/box/dir") || mkfifo("/box/fifo", 0666) ||
       symlink("/proc/self/root/etc/passwd", "/box/magic"))
        return 3;
    return 0;
}
