#include <iostream>

int main() {
  // Your code here
  return 0;
}
