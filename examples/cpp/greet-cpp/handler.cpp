#include "handler.hpp"

#include <sstream>

// Greets the caller and counts the words it sent.
std::string handle(const std::string& request) {
    std::istringstream in(request);
    std::string word;
    size_t words = 0;
    while (in >> word) {
        ++words;
    }
    return "Hello, C++. You said: " + request + " (" + std::to_string(words) + " words)";
}
