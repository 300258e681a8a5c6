#include <stdio.h>
int main(void)
{
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2)
        return 1;
    volatile long long zero = a - a; /* volatile: the division happens at run time */
    printf("%lld\n", (a + b) / zero); /* integer division by zero: SIGFPE */
    return 0;
}
