# Re-adds the prefix for every number: fine for small n, far too slow for n = 200000.
n = int(input())
a = list(map(int, input().split()))
total = 0
for i in range(n):
    total = sum(a[: i + 1])
print(total)
