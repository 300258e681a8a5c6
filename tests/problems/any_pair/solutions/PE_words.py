n = int(input())
print("zero", n)
