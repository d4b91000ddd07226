#pragma once

#include <string>

// Answers one request: the request body in, the response body out. An
// exception makes the call fail with a 500.
std::string handle(const std::string& request);
