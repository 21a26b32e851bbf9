#include <iostream>
int main() { std::cout << "brainalign\n"; return 0; }
