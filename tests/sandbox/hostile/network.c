/* Open an internet socket: denied by seccomp (and there is no network in the box anyway). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if(fd < 0)
        return 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
    inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);
    printf("connect: %d\n", connect(fd, (struct sockaddr *)&a, sizeof a));
    return 0;
}
