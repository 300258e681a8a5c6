#include <stdlib.h>
#include <string.h>
int main(void)
{
    for (int i = 0; i < 64; i++) { /* 1 GiB, 16 MiB at a time, every page touched */
        char *p = malloc(16 << 20);
        if (!p)
            return 3;
        memset(p, 1, 16 << 20);
    }
    return 0;
}
