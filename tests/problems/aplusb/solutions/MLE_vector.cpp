#include <vector>
#include <cstdio>
int main()
{
    std::vector<std::vector<char>> keep;
    for (int i = 0; i < 64; i++)
        keep.emplace_back(16 << 20, 'x');
    std::printf("%zu\n", keep.size());
}
