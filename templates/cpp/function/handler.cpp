#include "handler.hpp"

std::string handle(const std::string& request) {
    return "Hello, C++. You said: " + request;
}
