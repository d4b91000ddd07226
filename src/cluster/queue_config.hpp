#pragma once

// The cluster queue's settings: where its keys live in etcd, this node's
// share of the work, and the bounds and retry rules of the SQLite queue's.

#include "queue/attempt.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace faasd::cluster {

struct ClusterQueueConfig {
    std::string prefix = "/faasd-queue/"; // beside the cluster state's /faasd/
    std::string node;                     // this node's name: the value of its claims
    unsigned workers = 8;                 // requests this node runs at once
    uint64_t maxItems = 10'000; // unfinished and failed requests, cluster-wide; more is 429
    // Their bodies' bytes; more is 429. etcd refuses every write, the
    // cluster's own too, once its database reaches its quota (2 GiB by
    // default): the queue keeps well below.
    uint64_t maxBytes = 256ull << 20;
    uint64_t maxBodyBytes = 1ull << 20; // larger bodies are 413
    // etcd's --max-request-bytes (1.5 MiB by default): a request whose item
    // and body would not fit in one transaction is refused.
    uint64_t maxRequestBytes = 3ull << 19;
    queue::RetryPolicy retry;
    queue::CallbackPolicy callback;
    std::chrono::milliseconds shutdownTimeout{30'000};
    // How long a completed request's record stays listed; 0: none is kept.
    std::chrono::milliseconds keepCompleted{3'600'000};
    // An item another node accepted waits this much more before this node
    // tries to claim it: the accepting node usually takes its own first.
    std::chrono::milliseconds foreignDelay{50};
};

} // namespace faasd::cluster
