/* Sums in 32 bits: right on the small group, overflows on the large one (30 of 100 points). */
#include <stdio.h>

int main(void) {
  int n, total = 0;
  long long x;
  if (scanf("%d", &n) != 1) return 1;
  for (int i = 0; i < n; ++i) {
    if (scanf("%lld", &x) != 1) return 1;
    total += (int)x;
  }
  printf("%d\n", total);
  return 0;
}
