/* Fork without end: the pids cgroup caps the tasks, the CPU limit ends the run. */
#include <unistd.h>
int main(void)
{
    for(;;)
        fork();
}
