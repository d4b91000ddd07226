#pragma once

// What a worker does with one stored request: load it, mark it running,
// invoke the function, and then either schedule a retry with backoff or
// finish it (completed, or failed: the dead-letter list) after calling
// back. The Dispatcher applies the verdict to its schedule.

#include "provider/provider.hpp"
#include "queue/attempt.hpp"
#include "queue/config.hpp"
#include "queue/invoker.hpp"
#include "queue/store.hpp"
#include "queue/writer.hpp"

#include <cstdint>
#include <string>

namespace faasd::queue {

struct Verdict {
    enum class Kind {
        Gone,     // deleted meanwhile: nothing to do
        Aborted,  // left running in the database
        Again,    // run again at dueMs (a retry, or the row could not be read)
        Finished, // completed or failed, recorded
    };
    Kind kind = Kind::Gone;
    int64_t dueMs = 0;           // Again
    bool retried = false;        // Again: after a failed invocation
    bool failed = false;         // Finished: on the dead-letter list
    bool callbackFailed = false; // Finished: the callback was not delivered
    // Finished: the request, the function's last status and answer.
    std::string callId;
    int status = 0;
    std::string body;
};

class Runner {
public:
    // provider, when given, tells each job its function's own timeout.
    Runner(const QueueConfig& config, Store& store, Writer& writer, Invoker& invoker,
           AbortSignal& abort, provider::Provider* provider = nullptr)
        : config_(config), retry_(retryPolicyOf(config)), callback_(callbackPolicyOf(config)),
          store_(store), writer_(writer), invoker_(invoker), abort_(abort), provider_(provider) {}

    Verdict run(int64_t id);

private:
    const QueueConfig& config_;
    const RetryPolicy retry_;
    const CallbackPolicy callback_;
    Store& store_;
    Writer& writer_;
    Invoker& invoker_;
    AbortSignal& abort_;
    provider::Provider* provider_;
};

} // namespace faasd::queue
