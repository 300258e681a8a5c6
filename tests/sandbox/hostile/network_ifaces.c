/* Without touching AF_INET: the box's network namespace has no usable interface (lo is down). */
#include <stdio.h>
#include <string.h>
int main(void)
{
    char line[256];
    int up = 0;
    FILE *f = fopen("/proc/self/net/dev", "r");
    if(!f) /* /proc is pid-only in the box: no network view at all is also a pass */
        return 0;
    while(fgets(line, sizeof line, f))
        if(strchr(line, ':') && !strstr(line, "lo:"))
            up++;
    printf("interfaces other than lo: %d\n", up);
    return up ? 1 : 0;
}
