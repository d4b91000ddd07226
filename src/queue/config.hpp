#pragma once

// The durable queue's settings (FAASD_QUEUE_* in the daemon's environment).

#include "common/outbound_policy.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace faasd::queue {

// A function's label overriding its concurrency in the queue.
inline constexpr const char* kConcurrencyLabel = "faasd.queue.concurrency";

struct QueueConfig {
    std::filesystem::path database;
    bool fullSync = true;                        // synchronous=FULL (else NORMAL)
    uint64_t maxItems = 100'000;                 // unfinished + failed requests; more is 429
    uint64_t maxBytes = 1ull << 30;              // their stored size; more is 429
    uint64_t maxBodyBytes = 8ull << 20;          // larger bodies are 413
    unsigned workers = 32;                       // requests running at once, all functions
    unsigned perReplica = 4;                     // per ready replica when max_inflight is unset
    unsigned maxAttempts = 5;                    // invocations before the dead-letter list
    std::chrono::milliseconds retryDelay{1'000}; // doubled after each attempt
    std::chrono::milliseconds maxRetryDelay{300'000};
    unsigned callbackAttempts = 5;
    OutboundPolicy callbackPolicy; // checked again before each delivery
    std::chrono::milliseconds callbackRetryDelay{500};
    std::chrono::milliseconds shutdownTimeout{30'000};
    std::chrono::milliseconds keepCompleted{3'600'000}; // then completed rows go
    std::chrono::milliseconds limitRefresh{1'000};      // re-read replicas this often
};

} // namespace faasd::queue
