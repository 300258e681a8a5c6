/* Use no CPU at all: only the wall clock can end this. */
#include <unistd.h>
int main(void)
{
    for(;;)
        pause();
}
