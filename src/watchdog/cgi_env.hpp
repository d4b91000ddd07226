#pragma once

// The environment a forked function sees: the watchdog's own environment
// plus CGI-style Http_* variables describing the request, named the way the
// OpenFaaS watchdogs name them (Go's canonical header keys, '-' -> '_').

#include "watchdog/http_message.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace faasd::watchdog {

// Go's textproto.CanonicalMIMEHeaderKey: "x-call-id" -> "X-Call-Id".
std::string canonicalHeaderKey(std::string_view name);

// "X-Call-Id" -> "Http_X_Call_Id".
std::string cgiVariableName(std::string_view headerName);

// Percent-decodes a URL path as Go's url.URL.Path does; returns the input
// unchanged when it holds an invalid escape.
std::string decodePath(std::string_view path);

// The Http_* variables for a request, "NAME=value" each: one per header
// (first value; Host and Transfer-Encoding excepted), then Http_Method,
// Http_ContentLength, Http_Content_Length, Http_Transfer_Encoding (when
// chunked), Http_Query (when non-empty), Http_Path and Http_Host.
std::vector<std::string> cgiVariables(const MessageHead& request);

// A prebuilt environment block: the base environment once, then per
// request the Http_* variables appended in a reused arena.
class EnvBlock {
public:
    explicit EnvBlock(char** base);

    // Returns an envp for execve: valid until the next call.
    char* const* build(const MessageHead& request, bool cgiHeaders);
    // The base environment only.
    char* const* base();

private:
    void append(std::string_view name, std::string_view value);

    std::vector<std::string> base_;
    std::string arena_;
    std::vector<size_t> offsets_;
    std::vector<char*> pointers_;
};

} // namespace faasd::watchdog
