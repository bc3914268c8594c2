import math
# Rounds down: one off when the closest root is above.
print(math.isqrt(int(input())))
