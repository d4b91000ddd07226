#pragma once

// Where /async-function/ requests go. The durable queue implements it: it
// must persist the request before enqueue() returns, because the caller is
// then told 202. Without a queue the gateway answers 501.

#include "common/error.hpp"

#include <string>
#include <utility>
#include <vector>

namespace faasd::gateway {

struct AsyncRequest {
    std::string callId; // X-Call-Id sent back with the 202
    std::string name;   // function
    std::string ns;
    std::string method;
    std::string path;                                         // forwarded path, "/" by default
    std::string query;                                        // raw query string, without '?'
    std::vector<std::pair<std::string, std::string>> headers; // hop-by-hop removed
    std::string body;
    std::string callbackUrl; // X-Callback-Url, may be empty
};

class AsyncQueue {
public:
    virtual ~AsyncQueue() = default;

    // Blocking; called off the I/O threads. Returns the call id, which is
    // request.callId.
    virtual Result<std::string> enqueue(AsyncRequest request) = 0;
};

} // namespace faasd::gateway
