n = int(input())
numbers = list(map(int, input().split()))
# Your code here
print(0)
