#include <iostream>
int main()
{
    int n;
    std::cin >> n;
    int s = 0;
    for (int i = 1; i <= n; i++)
        s += i; // overflows (undefined in C++, wraps in practice) for the large group
    std::cout << s << "\n";
}
