/* Keeps the numbers in a buffer of 100: writing past it on the large group crashes. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  int n;
  if (scanf("%d", &n) != 1) return 1;
  long long *buffer = malloc(100 * sizeof *buffer);
  long long total = 0;
  for (int i = 0; i < n; ++i) {
    if (scanf("%lld", &buffer[i < 100 ? i : 0]) != 1) return 1;
    total += buffer[i < 100 ? i : 0];
  }
  if (n > 100) abort(); /* the bug the crash stands for, made deterministic */
  printf("%lld\n", total);
  free(buffer);
  return 0;
}
