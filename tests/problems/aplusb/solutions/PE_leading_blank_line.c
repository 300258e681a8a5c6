#include <stdio.h>
int main(void)
{
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2)
        return 1;
    printf("\n%lld\n", a + b); /* the right number, on the wrong line */
    return 0;
}
