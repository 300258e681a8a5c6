/* Write one file without end: RLIMIT_FSIZE answers with SIGXFSZ. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
    char buf[65536];
    memset(buf, 'x', sizeof buf);
    int fd = open("/box/huge", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for(;;)
        if(write(fd, buf, sizeof buf) < 0)
            return 3;
}
