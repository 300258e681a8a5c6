/* Try to write outside the box: the host canary (argv[1]), /usr, /etc, /, /dev. Writes to argv[1] land in
 * the box's own /tmp (if the path is there) and never on the host; the runner checks the host copy. Exit 1
 * if a read-only place took a write. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    int bad = 0;
    if(argc > 1) {
        int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if(fd >= 0) {
            if(write(fd, "pwned", 5) != 5)
                return 2;
            close(fd);
        }
    }
    const char *ro[] = {"/usr/pwned", "/etc/pwned", "/pwned", "/dev/pwned", "/usr/bin/true"};
    for(unsigned i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        int fd = open(ro[i], O_WRONLY | O_CREAT, 0666);
        if(fd >= 0) {
            printf("wrote %s\n", ro[i]);
            bad++;
            close(fd);
        }
    }
    return bad ? 1 : 0;
}
