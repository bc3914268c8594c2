import math
n = int(input())
r = math.isqrt(n)
print(r + 1 if (r + 1) ** 2 - n < n - r * r else r)
