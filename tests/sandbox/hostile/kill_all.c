/* kill(-1): every process we may signal. Inside the box's pid namespace that is only the box. */
#include <signal.h>
#include <unistd.h>
int main(void)
{
    if(fork() == 0) {
        pause();
        return 0;
    }
    kill(-1, SIGKILL);
    return 0;
}
