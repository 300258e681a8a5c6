/* Burn CPU in 8 threads while the main thread sleeps. If only the main thread's CPU counted, this would end
 * by the wall clock; the cgroup counts every thread, so it ends by the CPU limit. */
#include <pthread.h>
#include <unistd.h>
static void *spin(void *arg)
{
    (void)arg;
    for(volatile unsigned long i = 0;; i++)
        ;
    return 0;
}
int main(void)
{
    pthread_t t;
    for(int i = 0; i < 8; i++)
        pthread_create(&t, 0, spin, 0);
    for(;;)
        pause();
}
