#include <vector>
int main()
{
    std::vector<unsigned long> v(1 << 10);
    for (unsigned long i = 0;; i++)
        v[i & 1023] += i;
}
