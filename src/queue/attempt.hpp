#pragma once

// The rules every asynchronous queue follows (the SQLite one's Runner, the
// cluster's on etcd): what one invocation's outcome means for its request
// (again after a backoff, completed, or failed for good: the dead-letter
// list), and how the result reaches the request's X-Callback-Url.

#include "common/outbound_policy.hpp"
#include "queue/config.hpp"
#include "queue/invoker.hpp"
#include "queue/job.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

namespace faasd::queue {

// Raised once, when a queue's stop() gives up waiting: running requests end
// where they are and run again later.
class AbortSignal {
public:
    void raise();
    bool raised() const;
    // Waits up to delay; false when the signal is raised meanwhile.
    bool sleepFor(std::chrono::milliseconds delay);

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool raised_ = false;
};

struct RetryPolicy {
    unsigned maxAttempts = 5;                    // invocations before the dead-letter list
    std::chrono::milliseconds retryDelay{1'000}; // doubled after each attempt
    std::chrono::milliseconds maxRetryDelay{300'000};

    // The wait after attempt number `attempts` (1 for the first) failed.
    std::chrono::milliseconds delayAfter(uint64_t attempts) const;
};

// 429, 502, 503 and 504 are worth another attempt (as is no answer at all).
bool retryableStatus(int status);

// What an invocation's outcome means for its request.
struct Judgement {
    enum class Next { Retry, Complete, Fail };
    Next next = Next::Complete;
    std::chrono::milliseconds delay{0}; // Retry: run again after this
    std::string error;                  // why the attempt failed; empty for an answer < 400
    int status = 0;                     // the function's status, or 503 when none came
    std::string body;                   // its answer, or the error when none came
};

// attempts: the invocations so far, this one included.
Judgement judgeAttempt(const Outcome& outcome, uint64_t attempts, const RetryPolicy& policy);

struct CallbackPolicy {
    unsigned attempts = 5;
    std::chrono::milliseconds retryDelay{500}; // doubled after each attempt
    OutboundPolicy outbound;                   // checked again before each delivery
};

// A callback's headers: the function's answer's own, then X-Call-Id,
// X-Function-Status, X-Function-Name and X-Duration-Seconds.
HeaderList callbackHeaders(const Job& job, const Outcome& outcome, int status, double seconds);

enum class Delivery { Delivered, Failed, Aborted };

// POSTs the result of job to its callback URL, again on no answer, 429 and
// 5xx with backoff, up to policy.attempts; Aborted when abort is raised
// during a wait. error says why when not Delivered.
Delivery deliverCallback(Invoker& invoker, AbortSignal& abort, const CallbackPolicy& policy,
                         const Job& job, const Outcome& outcome, int status, double seconds,
                         std::string& error);

RetryPolicy retryPolicyOf(const QueueConfig& config);
CallbackPolicy callbackPolicyOf(const QueueConfig& config);

} // namespace faasd::queue
