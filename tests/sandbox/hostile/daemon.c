/* Leave a daemon behind: double fork, setsid, close stdio, live forever. It must die with the run. */
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    if(fork() == 0) {
        setsid();
        if(fork() == 0) {
            close(0);
            close(1);
            close(2);
            for(;;)
                sleep(1);
        }
        return 0;
    }
    sleep(1); /* let the daemon settle */
    return 0;
}
