n = int(input())
a = list(map(int, input().split()))
print(sum(a[i] for i in range(n + 1)) / n)
