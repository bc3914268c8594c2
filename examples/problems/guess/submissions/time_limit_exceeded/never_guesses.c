/* Spins without guessing: the interactor waits, the time limit ends it. */
int main(void) {
  volatile unsigned long n = 0;
  for (;;) n++;
}
