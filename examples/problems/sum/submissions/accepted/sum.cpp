#include <cstdio>

int main() {
  long long n, x, total = 0;
  if (std::scanf("%lld", &n) != 1) return 1;
  for (long long i = 0; i < n; ++i) {
    if (std::scanf("%lld", &x) != 1) return 1;
    total += x;
  }
  std::printf("%lld\n", total);
}
