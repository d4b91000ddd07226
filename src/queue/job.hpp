#pragma once

// One asynchronous request as a worker runs it, whichever store it came
// from (the SQLite queue's rows, the cluster queue's etcd items).

#include "api/function_ref.hpp"
#include "provider/provider.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace faasd::queue {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Job {
    int64_t id = 0; // the SQLite queue's row; 0 elsewhere
    std::string callId;
    api::FunctionRef function;
    std::string method;
    std::string path;
    std::string query;
    HeaderList headers;
    std::string body;
    std::string callbackUrl;
    int64_t enqueuedMs = 0; // Unix milliseconds
    std::string status;
    uint64_t attempts = 0;
    // Not stored: the function's own, looked up when the job runs.
    provider::UpstreamTimeout timeout;
};

} // namespace faasd::queue
