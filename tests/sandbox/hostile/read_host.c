/* Try to read host secrets: argv[2] (a host file), /etc/shadow, /root, the executor's environment through
 * /proc (pid 1 is the run's init, whose memory is a copy of the supervisor). Prints whatever it gets; the
 * runner checks that none of it is a secret. Exit 1 if anything was readable. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
static int try_read(const char *path)
{
    char buf[4096];
    int fd = open(path, O_RDONLY);
    if(fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if(n <= 0)
        return 0;
    printf("READ %s: %.*s\n", path, (int)n, buf);
    return 1;
}
int main(int argc, char **argv)
{
    int got = 0;
    const char *paths[] = {"/etc/shadow", "/root/.bashrc", "/proc/1/environ", "/proc/1/cmdline",
                           "/proc/1/mem", "/proc/0/environ", "/proc/kcore", "/sys/kernel/notes"};
    for(unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++)
        got += try_read(paths[i]);
    if(argc > 2)
        got += try_read(argv[2]);
    DIR *d = opendir("/root");
    if(d) {
        printf("READ /root listing\n");
        got++;
        closedir(d);
    }
    /* Our own environment is only what the run gave. */
    for(char **e = __environ; *e; e++)
        printf("env %s\n", *e);
    return got ? 1 : 0;
}
