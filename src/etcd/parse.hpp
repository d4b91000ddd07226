#pragma once

// Internal to src/etcd: the pure parts of the client, apart so that unit
// tests reach them without an etcd: endpoint URLs and key ranges.

#include "common/error.hpp"

#include <string>
#include <string_view>

namespace faasd::etcd {

struct Endpoint {
    std::string url;    // as configured: "https://10.0.0.1:2379"
    std::string target; // what gRPC dials: "10.0.0.1:2379"
    bool tls = false;
};

// "http://host[:port]" or "https://host[:port]" (2379 when no port; IPv6
// hosts in brackets); a trailing '/' is allowed, a path is not.
Result<Endpoint> parseEndpoint(std::string_view url);

// The range_end that, with key = prefix, covers every key starting with
// prefix: the prefix with its last byte below 0xff incremented and what
// follows it dropped ("a" -> "b", "a\xff" -> "b"). A prefix with no such
// byte ("" or all 0xff) has no end: "\0", etcd's "every key from key on".
std::string prefixEnd(std::string_view prefix);

// The key a prefix's range starts at: the prefix, or "\0" for the empty
// one (etcd refuses an empty key).
std::string rangeStart(std::string_view prefix);

} // namespace faasd::etcd
