// The cpp template's entry point: fwatchdog (classic mode) starts this
// program once per request with the body on stdin; what it writes to
// stdout is the answer, and a non-zero exit is a 500.
#include "handler.hpp"

#include <exception>
#include <iostream>
#include <iterator>
#include <string>

int main() {
    std::ios::sync_with_stdio(false);
    std::string request{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    try {
        std::cout << handle(request);
    } catch (const std::exception& e) {
        std::cerr << "handler: " << e.what() << '\n';
        return 1;
    }
    return std::cout.flush() ? 0 : 1;
}
